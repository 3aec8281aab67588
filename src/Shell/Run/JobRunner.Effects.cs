using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Core.Lifecycle;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Core.Protocol;
using Boinc.Persist.Shell.Boinc;
using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Shell.Engine;
using Boinc.Persist.Shell.Host;
using LanguageExt;
using Generation = Boinc.Persist.Core.Lifecycle.Generation;

namespace Boinc.Persist.Shell.Run;

/// <summary>The one interpreter of the lifecycle's effects.</summary>
public sealed partial class JobRunner
{
    /// <summary>Runs effects in order; Some(exit status) when one of them ends the wrapper.</summary>
    private async Task<Option<int>> Execute(Seq<Effect> effects)
    {
        foreach (var effect in effects)
        {
            var exit = await Execute(effect);
            if (exit.IsSome)
                return exit;
        }

        return Option<int>.None;
    }

    private async Task<Option<int>> Execute(Effect effect)
    {
        var name = plan.Container.Name;
        var slot = report.Directory;
        log.Debug($"effect {effect}");
        switch (effect)
        {
            case Effect.BuildImage:
                return await EnsureImage();

            case Effect.RestoreGeneration g:
                return Restore(g.Number);

            case Effect.WriteJournal w:
                JournalFile.Write(slot, w.Journal);
                return None;

            case Effect.CreateContainer:
                RemoveStaleRequest();
                CreateOutputs();
                return await RequireOrFail(await engine.Create(plan.Container, Array.Empty<string>(), stopping.Token), "create the container");

            case Effect.StartContainer:
                return await RequireOrFail(await engine.Start(name, stopping.Token), "start the container");

            case Effect.PauseContainer:
                return await Require(await engine.Pause(name, stopping.Token), "pause the container");

            case Effect.UnpauseContainer:
                return await Require(await engine.Unpause(name, stopping.Token), "resume the container");

            case Effect.StopContainer s:
                StopWatchingContainer();
                return await Require(await engine.Stop(name, s.Grace, stopping.Token), "stop the container");

            case Effect.KillContainer:
                StopWatchingContainer();
                Complain(await engine.Kill(name, stopping.Token), "kill the container");
                return None;

            case Effect.RemoveContainer:
                StopWatchingContainer();
                Complain(await engine.Remove(name, stopping.Token), "remove the container");
                return None;

            case Effect.RemoveImageIfUnused r:
                (await engine.RemoveImageIfUnused(r.Tag, stopping.Token)).Match(
                    removed => log.Info(removed ? $"removed image {r.Tag}" : $"kept image {r.Tag}: another container uses it"),
                    e => log.Warn($"cannot remove image {r.Tag}: {e}"));
                return None;

            case Effect.RequestCheckpoint:
                RequestCheckpoint();
                return None;

            case Effect.AwaitCheckpoint a:
                AwaitCheckpoint(a.Grace);
                return None;

            case Effect.CommitCheckpoint:
                return await Commit();

            case Effect.ReportStatus s:
                if (s.Message.Length > 0)
                    log.Info(s.Message);
                lastCpuSeconds = Math.Max(lastCpuSeconds, s.CpuNanos / 1e9);
                SendStatus();
                return None;

            case Effect.Finish f:
                StopBackground();
                if (f.Code == 0)
                    fraction = 1;
                SendStatus();
                log.Info(f.Code == 0 ? "the job finished successfully" : $"the job failed with exit code {f.Code}: reporting a compute error");
                return BoincExit.Finish(slot, f.Code, Release());

            case Effect.TemporaryExit t:
                StopBackground();
                SendStatus();
                log.Warn($"temporary exit, BOINC retries in {t.Delay.TotalSeconds:0}s: {t.Reason}");
                return BoincExit.TemporaryExit(slot, (int)t.Delay.TotalSeconds, t.Reason, Release());

            case Effect.QuitExit q:
                StopBackground();
                SendStatus();
                log.Info($"quitting: {q.Reason}");
                return BoincExit.Quit(Release());

            case Effect.ExitAborted:
                StopBackground();
                log.Info("aborted: container removed");
                Release().Iter(l => l.Dispose());
                return ExitCodes.Aborted;

            default:
                throw new InvalidOperationException($"no interpreter for effect {effect}");
        }
    }

    private static Option<int> None => Option<int>.None;

    private async Task<Option<int>> EnsureImage()
    {
        var image = plan.Container.Image;
        if (report.DockerfileText.IsNone)
        {
            // job.toml names a prebuilt image and there is no Dockerfile: the engine must have it.
            log.Info($"using the image {image.Tag} named by job.toml");
            return None;
        }

        var ensured = await engine.EnsureImage(image, report.DockerfileText.IfNone(""), log.Writer, stopping.Token);
        return ensured.Match(
            i =>
            {
                log.Info(i.Built ? $"built image {image.Tag}" : $"reusing image {image.Tag}");
                return None;
            },
            e => e.IsTemporary
                ? TemporaryExitFor(e, "cannot build the image")
                : Option<int>.Some(JobFailed($"cannot build the image {image.Tag} from {image.DockerfileName}: {e.Message}")));
    }

    private Option<int> Restore(long number)
    {
        return store.Match(
            s =>
            {
                var r = s.Recover();
                if (r.RestoreError.Case is string failed)
                {
                    // Never start the job on half-restored files: it would start over and its commits would
                    // push the intact generation out.
                    log.Error($"restoring generation {number} failed: {failed}");
                    StopBackground();
                    return BoincExit.TemporaryExit(report.Directory, 600, $"restoring checkpoint generation {number} failed: {failed}", Release());
                }

                log.Info(r.Chosen.Match(
                    g => $"recovered generation {g.Number} (CPU {g.CpuTimeSeconds:0.0}s, {g.FractionDone:P0} done){Restored(r.Restored)}",
                    () => $"no intact generation to recover: {r.Why}"));
                foreach (var rejected in r.Rejected)
                    log.Warn($"checkpoint generation rejected: {rejected}");
                if (r.Chosen.Map(g => g.Number).IfNone(-1) != number)
                    log.Warn($"recovery chose {r.Chosen.Map(g => g.Number.ToString()).IfNone("no generation")} where {number} was expected: {r.Why}");
                return None;
            },
            () =>
            {
                log.Warn($"generation {number} should be restored, but job.toml declares no checkpoint");
                return None;
            });

        static string Restored(Seq<string> files) =>
            files.IsEmpty ? "; WORKDIR already matched it" : $"; restored {string.Join(", ", files)}";
    }

    private async Task<Option<int>> Commit()
    {
        if (store.IsNone)
            return None;
        var s = store.IfNone(() => throw new InvalidOperationException());

        // The CPU time of the files being captured: sampled now, not a second ago.
        var cpu = await engine.CpuNanos(plan.Container.Name, stopping.Token);
        cpu.IfRight(n => state = state with { ContainerCpuNanos = Math.Max(state.ContainerCpuNanos, n) });
        var cpuSeconds = state.CpuNanos / 1e9;
        ReadFraction();
        Fin<GenerationInfo> committed;
        try
        {
            committed = s.Commit(cpuSeconds, fraction, engineIdentity);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The app changed its files under the walk (a directory gone, a file unreadable): try next time.
            committed = LanguageExt.Common.Error.New($"the checkpoint files changed while they were read: {e.Message}");
        }

        return await committed.Match(
            async g =>
            {
                log.Info($"committed checkpoint generation {g.Number} ({g.Files} file(s), {g.Bytes} bytes, CPU {g.CpuTimeSeconds:0.0}s)");
                s.RetentionProblem.Iter(p => log.Warn($"old generations not yet removed: {p}"));
                var exit = await Decide(new Command.CheckpointCommitted(new Generation(g.Number, (long)(g.CpuTimeSeconds * 1e9))));
                SendStatus();
                return exit;
            },
            e =>
            {
                log.Error($"checkpoint not committed (the previous generation stays intact): {e.Message}");
                return Task.FromResult(None);
            });
    }

    private void RequestCheckpoint()
    {
        var path = Path.Combine(report.Directory, CheckpointRequestFile);
        try
        {
            using var file = DurableFile.CreateFresh(path);
            file.Write("boinc-persist asks for a checkpoint now: the container will be stopped\n"u8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"cannot write {CheckpointRequestFile}: {e.Message}");
        }
    }

    /// <summary>A bind mount needs its source: output files named by link files are created empty (never truncated).</summary>
    private void CreateOutputs()
    {
        foreach (var output in InputMounts.OutputsToCreate(plan))
        {
            using (new FileStream(output, FileMode.OpenOrCreate, FileAccess.Write))
            {
            }

            log.Debug($"created output file {output} for its bind mount");
        }
    }

    private void RemoveStaleRequest()
    {
        var path = Path.Combine(report.Directory, CheckpointRequestFile);
        if (File.Exists(path))
            File.Delete(path);
    }

    private void AwaitCheckpoint(TimeSpan grace)
    {
        if (store.IsNone || state.Phase is not Phase.Quitting)
        {
            // Nothing can be committed: stop at once.
            inbox.Writer.TryWrite(new Inbox.Cmd(new Command.GraceElapsed()));
            return;
        }

        log.Info($"waiting up to {grace.TotalSeconds:0}s for the app to checkpoint before stopping it");
        graceTimer.Iter(t => t.Dispose());
        graceTimer = Option<ITimer>.Some(time.CreateTimer(
            _ => inbox.Writer.TryWrite(new Inbox.Cmd(new Command.GraceElapsed())), null, grace, Timeout.InfiniteTimeSpan));
    }

    /// <summary>An engine call the task cannot do without: a temporary exit when the engine is the problem.</summary>
    private Task<Option<int>> Require<T>(Either<EngineError, T> result, string what) =>
        Task.FromResult(result.Match(
            _ => None,
            e => e.IsTemporary
                ? TemporaryExitFor(e, $"cannot {what}")
                : e is EngineError.Conflict
                    ? LogConflict(e, what)
                    : TemporaryExitFor(e, $"cannot {what}")));

    /// <summary>
    /// Create and start: an engine that does not answer is a temporary exit, but one that refuses the container
    /// (a bad command, a missing program: the engine's 4xx/5xx with a reason) would refuse it every time, so that
    /// is the job's error, reported once, not an endless retry.
    /// </summary>
    private async Task<Option<int>> RequireOrFail<T>(Either<EngineError, T> result, string what)
    {
        if (result.LeftToSeq().FirstOrDefault() is not EngineError.Failed refused)
            return await Require(result, what);

        // Leave nothing behind: a created container that cannot start is removed with the error.
        Complain(await engine.Remove(plan.Container.Name, stopping.Token), "remove the container");
        return JobFailed($"the engine refused to {what}: {refused.Message}");
    }

    private Option<int> LogConflict(EngineError e, string what)
    {
        // A conflict means it is already done (started, paused...): the effects are idempotent.
        log.Debug($"{what}: {e.Message} (already in that state)");
        return None;
    }

    private void Complain<T>(Either<EngineError, T> result, string what) =>
        result.IfLeft(e => log.Warn($"cannot {what}: {e}"));

    private int JobFailed(string why)
    {
        StopBackground();
        log.Error(why);
        return BoincExit.Finish(report.Directory, ExitCodes.JobFailed, Release());
    }

    private Option<int> TemporaryExitFor(EngineError error, string what)
    {
        StopBackground();
        var reason = $"{what}: {error}";
        log.Warn($"temporary exit, BOINC retries in {EngineRetryDelay.TotalSeconds:0}s: {reason}");
        return BoincExit.TemporaryExit(report?.Directory ?? options.SlotDir, (int)EngineRetryDelay.TotalSeconds, reason, Release());
    }

    private Option<SlotLock> Release()
    {
        var l = slotLock;
        slotLock = Option<SlotLock>.None;
        return l;
    }
}
