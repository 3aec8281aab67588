using System;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>The instruction keywords Docker knows (case-insensitive).</summary>
internal static class Instructions
{
    public static bool IsKnown(string keyword) => keyword.ToUpperInvariant() is
        "ADD" or "ARG" or "CMD" or "COPY" or "ENTRYPOINT" or "ENV" or "EXPOSE" or "FROM" or "HEALTHCHECK" or "LABEL" or
        "MAINTAINER" or "ONBUILD" or "RUN" or "SHELL" or "STOPSIGNAL" or "USER" or "VOLUME" or "WORKDIR";
}
