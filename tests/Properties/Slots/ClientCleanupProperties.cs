using System.Linq;
using Boinc.Persist.Core.Slots;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Slots;

/// <summary>
/// Client 8.2's start-up cleanup (<c>docker_cleanup</c>, 8.2.15): a task's boinc__ container is spared only when
/// the plan class contains "docker" (strstr, case-sensitive); the wrapper warns at start for a client &gt;= 8.2
/// and any other plan class. ClientEngineDetectionTests (pass client8) show the real client's side.
/// </summary>
[Properties(Arbitrary = new[] { typeof(Generators) }, MaxTest = 300)]
public class ClientCleanupProperties
{
    [Property]
    public bool Warns_exactly_for_client_8_2_or_later_and_a_plan_class_without_docker(CleanupCase c)
    {
        var warning = ClientCleanup.Warning(c.Client, c.PlanClass, c.EngineDetected, "boinc__p__r_0");
        var expected = c.Client.Exists(v => v.Major > 8 || (v.Major == 8 && v.Minor >= 2))
            && c.PlanClass.IndexOf("docker", System.StringComparison.Ordinal) < 0;
        return warning.IsSome == expected
            && warning.ForAll(w => w.Contains("boinc__p__r_0") && !w.Any(char.IsControl) && w.Contains(c.Client.Map(v => v.ToString()).IfNone("?")));
    }

    [Theory]
    [InlineData("docker", false)]
    [InlineData("docker_gpu", false)]
    [InlineData("nvidia_docker", false)]
    [InlineData("Docker", true)]
    [InlineData("DOCKER", true)]
    [InlineData("", true)]
    [InlineData("mt", true)]
    [InlineData("dock er", true)]
    public void The_rule_is_the_clients_case_sensitive_substring(string planClass, bool warned) =>
        Assert.Equal(warned, ClientCleanup.Warning(new ClientVersion(8, 2, 15), planClass, true, "boinc__p__r").IsSome);

    [Theory]
    [InlineData(7, 20, 5)]
    [InlineData(8, 0, 4)]
    [InlineData(8, 1, 99)]
    public void Clients_before_8_2_have_no_cleanup(int major, int minor, int release) =>
        Assert.True(ClientCleanup.Warning(new ClientVersion(major, minor, release), "mt", true, "boinc__p__r").IsNone);

    [Fact]
    public void Init_data_gives_the_version_and_plan_class()
    {
        var xml = "<app_init_data>\n<major_version>8</major_version>\n<minor_version>2</minor_version>\n<release>15</release>\n"
            + "<app_version>1</app_version>\n<app_name>a</app_name>\n<plan_class>mt</plan_class>\n"
            + "<project_dir>/var/lib/boinc/projects/p</project_dir>\n<wu_name>w</wu_name>\n<result_name>r_0</result_name>\n</app_init_data>\n";
        var ctx = SlotContexts.Parse("init_data.xml", xml).Value.IfNone(() => throw new System.InvalidOperationException("init_data not read"));
        Assert.Equal(Option<ClientVersion>.Some(new ClientVersion(8, 2, 15)), ctx.ClientVersion);
        Assert.Equal("mt", ctx.PlanClass);
        Assert.True(ClientCleanup.Warning(ctx.ClientVersion, ctx.PlanClass, false, "boinc__p__r_0").IsSome);
    }
}
