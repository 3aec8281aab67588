using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Lifecycle;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;

namespace Boinc.Persist.Properties.LifecycleTests;

/// <summary>
/// The lifecycle's central law: the wrapper may be killed between any two effects (and the host may reboot, the
/// daemon restart, the container vanish) and a restart converges to the one right state: the job running from
/// the newest generation with a journal that says so, or its recorded result reported again, or the abort
/// completed. Played with the real decider against <see cref="ModelWorld"/>.
/// </summary>
public class RestartConvergenceProperties
{
    [Property(MaxTest = 400, Arbitrary = new[] { typeof(Generators) })]
    public Property Killed_anywhere_a_restart_converges_and_a_second_restart_changes_nothing(bool pausePolicy)
    {
        return Prop.ForAll(Generators.StoryArb(), story =>
        {
            var policy = pausePolicy ? QuitPolicy.Pause : QuitPolicy.CheckpointAndStop;
            var world = new ModelWorld();
            var wrapper = new ModelWrapper(world, policy);
            wrapper.Play(new Step.Restart(-1));
            foreach (var step in story)
                wrapper.Play(step);

            // BOINC kills whatever is left and starts us again, twice.
            wrapper.Kill();
            wrapper.Restart();
            var generationsBefore = world.Store.Count;
            var second = wrapper.Restart();

            var problems = world.Violations.ToList();
            if (world.FirstRecordedExit.Case is int code)
            {
                if (world.LastTerminal != new Effect.Finish(code))
                    problems.Add($"expected Finish({code}) again, got {world.LastTerminal}");
                if (world.Container is not null)
                    problems.Add("a finished job's container is still there");
                if (second.Case != StartCase.ReportFinishedAgain)
                    problems.Add($"second restart took {second.Case}");
            }
            else if (world.AbortRecorded)
            {
                if (world.LastTerminal.Case is not Effect.ExitAborted)
                    problems.Add($"expected ExitAborted, got {world.LastTerminal}");
                if (world.Container is not null || world.Images.Count != 0)
                    problems.Add("an aborted job left a container or an image");
            }
            else
            {
                var journal = world.Journal.IfNone(() => Journal.New("none"));
                if (world.Container is not { Status: "running" } c)
                    problems.Add($"the container is {world.Container?.Status ?? "absent"}, not running");
                else if (journal.ContainerId != c.Id)
                    problems.Add($"journal names container {journal.ContainerId}, the engine runs {c.Id}");
                if (journal.Intent != Intent.Run)
                    problems.Add($"journal intent is {journal.Intent}");
                if (journal.CommittedGeneration != world.StoreState().Latest.Map(g => g.Number))
                    problems.Add($"journal generation {journal.CommittedGeneration}, store has {world.StoreState().Latest}");
                if (second.Case != StartCase.ReattachRunning || second.Effects.Exists(e => e is not Effect.ReportStatus and not Effect.FollowContainer))
                    problems.Add($"second restart was not a no-op re-attach: {second.Case} {second.Effects}");
            }

            if (world.Store.Count != generationsBefore)
                problems.Add("a no-op restart committed a generation");

            return (problems.Count == 0)
                .Label(string.Join(" -> ", wrapper.Story) + "\n  problems: " + string.Join("; ", problems));
        });
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(Generators) })]
    public Property Killed_after_any_prefix_of_a_fresh_start_the_restart_ends_where_an_uninterrupted_start_ends(PositiveInt kill, bool withGeneration)
    {
        // Given a world with (or without) a committed generation and no container
        var interrupted = new ModelWorld();
        var clean = new ModelWorld();
        if (withGeneration)
        {
            interrupted.CommitGeneration();
            clean.CommitGeneration();
        }

        // When one wrapper is killed after k effects and restarted, and another runs undisturbed
        var a = new ModelWrapper(interrupted, QuitPolicy.CheckpointAndStop);
        a.Restart(kill.Get % 8);
        a.Kill();
        a.Restart();
        new ModelWrapper(clean, QuitPolicy.CheckpointAndStop).Restart();

        // Then both run one container from the same generation, with equivalent journals
        var ja = interrupted.Journal.Map(j => j with { ContainerId = Option<string>.None });
        var jb = clean.Journal.Map(j => j with { ContainerId = Option<string>.None });
        return (interrupted.Violations.Count == 0 && interrupted.Container?.Status == "running"
                && clean.Container?.Status == "running" && ja == jb && interrupted.Restored == clean.Restored)
            .Label($"kill@{kill.Get % 8}: {interrupted.Container} {ja} vs {clean.Container} {jb}; {string.Join(";", interrupted.Violations)}");
    }
}
