using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Boinc.Persist.Shell.Engine;
using LanguageExt;
using Xunit;

namespace Boinc.Persist.Properties.Engine;

/// <summary>
/// Which engine failures the adapter asks again (every call of <see cref="DockerEngine"/> goes through
/// <see cref="EngineCalls.Run{T}"/>): Podman's store race, from the bodies Podman 4.3 sent in fresh-clone run 10,
/// is retried and then succeeds; a missing image, a build error and a race that never ends are not hidden.
/// </summary>
public class EngineCallsTests
{
    // Podman 4.3, inspecting boinc-persist/busybox:1 (which existed) while the oracle removed another image.
    private const string InspectRace =
        """{"cause":"image not known","message":"failed to convert ImageData to ImageInspect 'boinc-persist/busybox:1': reading image \"50ee236c810039117bf033497f35e84755317900539ca8928c1abad6e48870ac\": locating image with ID \"50ee236c810039117bf033497f35e84755317900539ca8928c1abad6e48870ac\": image not known","response":500}""";

    // The same race in a listing.
    private const string ListRace =
        """{"cause":"image not known","message":"retrieving size of image \"166eb341dc96956f9537dd72c437f3d8be9d9f8a5ade2c34bf40c8faa28d17a0\": you may need to remove the image to resolve the error: locating image with ID \"166eb341dc96956f9537dd72c437f3d8be9d9f8a5ade2c34bf40c8faa28d17a0\": image not known","response":500}""";

    private const string LayerRace = """{"cause":"layer not known","message":"layer not known","response":500}""";

    // Podman's answer for an image that does not exist: a 404, not a race.
    private const string Missing =
        """{"cause":"image not known","message":"failed to find image nope:1: nope:1: image not known","response":404}""";

    private static readonly EnginePolicy Fast = EnginePolicy.Default with { FirstBackoff = TimeSpan.FromMilliseconds(1) };

    private static async Task<(Either<EngineError, string> Result, int Calls)> RunFailing(int failures, HttpStatusCode status, string body)
    {
        var calls = 0;
        var r = await EngineCalls.Run("inspect image boinc-persist/busybox:1", Fast, TimeSpan.FromSeconds(30), CancellationToken.None, _ =>
        {
            calls++;
            return calls <= failures
                ? Task.FromException<string>(new EngineApiException(status, body))
                : Task.FromResult("sha256:cbdf");
        });
        return (r, calls);
    }

    [Theory]
    [InlineData(InspectRace)]
    [InlineData(ListRace)]
    [InlineData(LayerRace)]
    public async Task A_store_race_is_asked_again_and_the_answer_is_the_callers(string body)
    {
        var (r, calls) = await RunFailing(Fast.Attempts - 1, HttpStatusCode.InternalServerError, body);

        Assert.Equal("sha256:cbdf", r.Match(v => v, e => e.ToString()));
        Assert.Equal(Fast.Attempts, calls);
    }

    [Fact]
    public async Task A_race_that_outlasts_every_attempt_is_reported_as_the_engines_failure()
    {
        var (r, calls) = await RunFailing(int.MaxValue, HttpStatusCode.InternalServerError, InspectRace);

        var error = Assert.IsType<EngineError.Failed>(r.Match(_ => null!, e => e));
        Assert.Contains("locating image with ID", error.Message);
        Assert.Equal(Fast.Attempts, calls);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, Missing)]
    [InlineData(HttpStatusCode.InternalServerError, """{"message":"building at STEP \"RUN false\": exit status 1","response":500}""")]
    [InlineData(HttpStatusCode.InternalServerError, """{"message":"image not known","response":500}""")]
    public async Task Any_other_engine_answer_is_not_retried(HttpStatusCode status, string body)
    {
        var (r, calls) = await RunFailing(int.MaxValue, status, body);

        Assert.True(r.IsLeft);
        Assert.Equal(1, calls);
        Assert.False(EngineCalls.IsStoreRace(new EngineApiException(status, body)));
    }
}
