using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using LanguageExt;

namespace Boinc.Persist.Shell.Engine;

/// <summary>How long engine calls may take and how transient failures are retried.</summary>
public sealed record EnginePolicy(TimeSpan CallLimit, TimeSpan BuildLimit, int Attempts, TimeSpan FirstBackoff)
{
    public static EnginePolicy Default { get; } =
        new(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(30), 4, TimeSpan.FromMilliseconds(250));
}

/// <summary>
/// The one place engine exceptions become <see cref="EngineError"/> values: each call runs under its limit and
/// the caller's token, connection failures and Podman's store races (<see cref="IsStoreRace"/>) are retried
/// with exponential backoff (every operation we issue is idempotent by container name), and what is left is
/// classified.
/// </summary>
public static class EngineCalls
{
    public static async Task<Either<EngineError, T>> Run<T>(
        string op, EnginePolicy policy, TimeSpan limit, CancellationToken ct, Func<CancellationToken, Task<T>> call)
    {
        var backoff = policy.FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (limit != System.Threading.Timeout.InfiniteTimeSpan)
                cts.CancelAfter(limit);
            EngineError error;
            var race = false;
            EngineCallCounter.Count(op);
            try
            {
                return await call(cts.Token).WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                error = new EngineError.Timeout(op, limit);
            }
            catch (Exception e)
            {
                error = Classify(op, e);
                race = IsStoreRace(e);
            }

            if (!(error is EngineError.Unreachable || race) || attempt >= policy.Attempts)
                return error;
            await Task.Delay(backoff, ct).ConfigureAwait(false);
            backoff *= 2;
        }
    }

    /// <summary>
    /// Podman 4's answer when another client removes an image while this call walks the image store: a 500 that
    /// names an image or layer other than the one asked for ("reading image ID: locating image with ID ID: image
    /// not known", "retrieving size of image ID: ...", "layer not known"). Seen on one service shared by two
    /// wrappers (one collecting images at its task's end, the other starting): an inspect of an image that
    /// exists, a listing, a build that resolves its base. Nothing about the call itself is wrong, so it is asked
    /// again; a missing image is a 404 (<see cref="EngineError.NotFound"/>) and is never retried.
    /// </summary>
    public static bool IsStoreRace(Exception e) =>
        e is EngineApiException api && IsStoreRace(api.StatusCode, api.ResponseBody);

    /// <summary>The same test on a status and body (a test's own engine client reads them from its exception).</summary>
    public static bool IsStoreRace(HttpStatusCode status, string? body) =>
        status == HttpStatusCode.InternalServerError
        && body is not null
        && (body.Contains("locating image with ID", StringComparison.Ordinal)
            || body.Contains("layer not known", StringComparison.Ordinal));

    public static EngineError Classify(string op, Exception e)
    {
        switch (e)
        {
            case EngineApiException { StatusCode: HttpStatusCode.NotFound } api:
                return new EngineError.NotFound(op, api.Message);
            case EngineApiException { StatusCode: HttpStatusCode.Conflict } api:
                return new EngineError.Conflict(op, api.Message);
            case EngineApiException api:
                return new EngineError.Failed(op, $"{(int)api.StatusCode} {api.Message}");
            case NotSupportedException unsupported:
                return new EngineError.Failed(op, unsupported.Message);
        }

        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException s)
                return new EngineError.Unreachable(op, $"{s.SocketErrorCode}: {s.Message}");
        }

        if (e is IOException)
            return new EngineError.Unreachable(op, $"{e.GetType().Name}: {e.Message}");
        return new EngineError.Failed(op, $"{e.GetType().Name}: {e.Message}");
    }
}
