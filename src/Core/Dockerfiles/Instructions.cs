using System;

namespace Boinc.Persist.Core.Dockerfiles;

/// <summary>The instruction keywords Docker knows (case-insensitive).</summary>
internal static class Instructions
{
    private static readonly System.Collections.Generic.HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
        "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    };

    public static bool IsKnown(string keyword) => Known.Contains(keyword);
}
