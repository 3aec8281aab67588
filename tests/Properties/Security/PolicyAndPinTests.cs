using Boinc.Persist.Properties.Diagnostics;
using Boinc.Persist.Core.Diagnostics;
using System.Linq;
using Boinc.Persist.Core.Config;
using Boinc.Persist.Core.Confinement;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Security;

public class PolicyAndPinTests
{
    [Fact]
    public void A_policy_file_is_parsed_and_its_errors_name_file_line_and_key()
    {
        var ok = HostPolicy.Parse("policy.toml", "[accept]\ncapabilities = [\"cap_sys_ptrace\"]\nhost_network = true\nhost_mounts = [\"/srv/data/\"]\n");
        var p = ok.Value.IfNone(HostPolicy.Default);
        Assert.Equal(new[] { "SYS_PTRACE" }, p.Capabilities.ToArray());
        Assert.True(p.HostNetwork);
        Assert.Equal(new[] { "/srv/data" }, p.HostMounts.ToArray());

        var bad = HostPolicy.Parse("policy.toml", "[accept]\nroot_user = \"yes\"\nhost_netwrok = true\n");
        Assert.True(bad.Value.IsNone);
        Assert.Contains(bad.Findings, d => d.IsError && d.Where.ToString() == "policy.toml:2 [accept.root_user]");
        Assert.Contains(bad.Findings, d => d.IsError && d.Where.ToString() == "policy.toml:3 [accept.host_netwrok]");
    }

    [Theory]
    [InlineData("[confinement]\ncap_add = [\"SYS_PTRACE\"]\n", nameof(DiagnosticCodes.PolicyCapabilityRefused))]
    [InlineData("[confinement]\nnetwork = \"host\"\n", nameof(DiagnosticCodes.PolicyHostNetworkRefused))]
    [InlineData("[confinement]\nuser = \"0:0\"\n", nameof(DiagnosticCodes.PolicyRootUserRefused))]
    [InlineData("[confinement]\nno_new_privileges = false\n", nameof(DiagnosticCodes.PolicyNewPrivilegesRefused))]
    public void The_default_policy_refuses_each_relaxation_of_the_issue_naming_the_key(string toml, string code)
    {
        var job = JobConfigReader.Parse("job.toml", toml).Value.IfNone(() => throw new System.InvalidOperationException());
        var plan = PlanFor(job);
        var found = PolicyCheck.Check(HostPolicy.Default, job, plan, enforce: true);
        Assert.Contains(found, d => d.IsError && d.Code == TestCodes.Named(code) && d.Where.File == "job.toml" && d.Where.Line.IsSome);
    }

    [Fact]
    public void Allow_listed_capabilities_need_no_consent_and_accepted_relaxations_are_logged()
    {
        var job = JobConfigReader.Parse("job.toml", "[confinement]\ncap_add = [\"CHOWN\", \"SYS_PTRACE\"]\n").Value.IfNone(() => throw new System.InvalidOperationException());
        var policy = HostPolicy.Default with { Capabilities = new[] { "SYS_PTRACE" }.ToSeq() };
        var found = PolicyCheck.Check(policy, job, PlanFor(job), enforce: true);
        Assert.DoesNotContain(found, d => d.IsError);
        Assert.Contains(found, d => d.Code == DiagnosticCodes.PolicyRelaxationInForce && d.Message.Contains("SYS_PTRACE"));
    }

    [Fact]
    public void Pins_round_trip_and_any_change_is_an_error_naming_the_file()
    {
        var first = new[] { new ConfigPin("job.toml", new string('a', 64)), new ConfigPin("Dockerfile", Option<string>.None) }.ToSeq();
        var parsed = ConfigPins.Parse(ConfigPins.Format(first)).IfNone(Seq<ConfigPin>.Empty);
        Assert.Equal(first.ToArray(), parsed.ToArray());
        Assert.Empty(ConfigPins.Compare(parsed, first));

        var changed = new[] { new ConfigPin("job.toml", new string('b', 64)), new ConfigPin("Dockerfile", new string('c', 64)) }.ToSeq();
        var errors = ConfigPins.Compare(parsed, changed);
        Assert.Equal(new[] { "job.toml", "Dockerfile" }, errors.Map(e => e.Where.File).ToArray());
        Assert.All(errors, e => Assert.Equal(DiagnosticCodes.PinChanged, e.Code));
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/dev", true)]
    [InlineData("/proc/self", true)]
    [InlineData("/sys", true)]
    [InlineData("/etc", true)]
    [InlineData("/usr", true)]
    [InlineData("/app", false)]
    [InlineData("/usr/src/app", false)]
    public void Workdir_on_system_paths_is_refused(string workdir, bool refused) =>
        Assert.Equal(refused, MountRules.WorkdirRefusal(workdir).IsSome);

    [Theory]
    [InlineData("/s/slot/.boinc-persist", true)]
    [InlineData("/s/slot/.boinc-persist/checkpoints", true)]
    [InlineData("/s/slot", true)]
    [InlineData("/s", true)]
    [InlineData("/s/slot/data", false)]
    [InlineData("/s/other", false)]
    public void Mount_sources_on_the_store_or_overlapping_the_slot_are_refused(string source, bool refused) =>
        Assert.Equal(refused, MountRules.SourceRefusal(source, "/s/slot").IsSome);

    private static Boinc.Persist.Core.Planning.Plan PlanFor(JobFile job)
    {
        var input = new Boinc.Persist.Core.Planning.PlanInput(
            job,
            new Boinc.Persist.Core.Planning.DockerfileFacts("Dockerfile", "FROM x\nWORKDIR /app\n", Option<(string, int)>.Some(("/app", 2)), Option<string>.None),
            new Boinc.Persist.Core.Planning.TaskIdentity("p", "w", "w_0", 0, 1, 1e9),
            new Boinc.Persist.Core.Planning.HostFacts("/s/slot", "/s/project", 1000, 1000),
            Seq<string>.Empty);
        return Boinc.Persist.Core.Planning.Planner.Make(input).Value.IfNone(() => throw new System.InvalidOperationException("no plan"));
    }
}
