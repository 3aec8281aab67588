using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Boinc.Persist.Core.Config;
using Xunit;

namespace Boinc.Persist.Properties.Architecture;

/// <summary>
/// Core decides, the shell does: Core's compiled code may not reference files, the engine, sockets, clocks,
/// randomness or the process environment. Read from Core's metadata, so a reference hidden in a lambda or a
/// generic argument is found too.
/// </summary>
public class CoreIsPureTests
{
    private static readonly string[] ForbiddenNamespaces =
    {
        "System.IO", "System.Net.Sockets", "System.Net.Http", "System.Net.NetworkInformation", "System.Net.WebSockets", "Docker", "Testcontainers", "System.Diagnostics.Process",
        "System.Threading.Tasks", "Microsoft.Win32",
    };

    /// <summary>
    /// Beneath a forbidden namespace but pure: System.IO.Hashing holds hash algorithms over spans (Core digests the
    /// model's pack contents with its XXH3-128, as the shell does the disk's); its members that read a Stream would
    /// reference System.IO.Stream, which stays forbidden.
    /// </summary>
    private static readonly string[] AllowedNamespaces = { "System.IO.Hashing" };

    private static readonly string[] ForbiddenTypes =
    {
        "System.Random", "System.TimeProvider", "System.Diagnostics.Stopwatch", "System.Environment",
        "System.Console", "System.Threading.Thread", "System.Threading.Timer", "System.Security.Cryptography.RandomNumberGenerator",
        "System.Guid",
    };

    private static readonly (string Type, string Member)[] ForbiddenMembers =
    {
        ("System.DateTime", "get_Now"), ("System.DateTime", "get_UtcNow"), ("System.DateTime", "get_Today"),
        ("System.DateTimeOffset", "get_Now"), ("System.DateTimeOffset", "get_UtcNow"),
    };

    private static (HashSet<string> Types, HashSet<(string, string)> Members) References()
    {
        var path = typeof(JobConfig).Assembly.Location;
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        string Name(EntityHandle h) => h.Kind switch
        {
            HandleKind.TypeReference => Full(md.GetTypeReference((TypeReferenceHandle)h)),
            _ => "",
        };
        string Full(TypeReference t)
        {
            var ns = md.GetString(t.Namespace);
            var name = md.GetString(t.Name);
            if (t.ResolutionScope.Kind == HandleKind.TypeReference)
                return Full(md.GetTypeReference((TypeReferenceHandle)t.ResolutionScope)) + "+" + name;
            return ns.Length == 0 ? name : ns + "." + name;
        }

        var types = md.TypeReferences.Select(h => Full(md.GetTypeReference(h))).ToHashSet();
        var members = md.MemberReferences
            .Select(h => md.GetMemberReference(h))
            .Select(m => (Name(m.Parent), md.GetString(m.Name)))
            .ToHashSet();
        return (types, members);
    }

    [Fact]
    public void Core_references_no_files_engine_sockets_or_tasks()
    {
        var (types, _) = References();
        var bad = types.Where(t => ForbiddenNamespaces.Any(ns => t == ns || t.StartsWith(ns + ".", StringComparison.Ordinal)))
            .Where(t => !AllowedNamespaces.Any(ns => t.StartsWith(ns + ".", StringComparison.Ordinal) && !t[(ns.Length + 1)..].Contains('.'))).ToList();
        Assert.True(bad.Count == 0, "Core references: " + string.Join(", ", bad));
    }

    [Fact]
    public void Core_references_no_clock_randomness_or_environment()
    {
        var (types, members) = References();
        var bad = types.Where(t => ForbiddenTypes.Contains(t)).ToList();
        bad.AddRange(members.Where(m => ForbiddenMembers.Contains(m)).Select(m => $"{m.Item1}.{m.Item2}"));
        Assert.True(bad.Count == 0, "Core references: " + string.Join(", ", bad));
    }

    [Fact]
    public void The_check_sees_references_when_they_exist()
    {
        // The shell does use files and the engine; if the reader found nothing there, the checks above would be empty.
        var shell = typeof(Boinc.Persist.Shell.Program).Assembly.Location;
        using var stream = File.OpenRead(shell);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var names = md.TypeReferences.Select(h => md.GetString(md.GetTypeReference(h).Namespace)).ToHashSet();
        Assert.Contains("System.IO", names);
        Assert.Contains("System.Net.Sockets", names);
    }

    [Fact]
    public void Core_records_are_immutable()
    {
        var mutable = typeof(JobConfig).Assembly.GetTypes()
            .Where(t => t.IsPublic || t.IsNestedPublic)
            .Where(t => t.GetMethod("<Clone>$") is not null) // records
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is { IsPublic: true } set &&
                            !set.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit)))
                .Select(p => $"{t.Name}.{p.Name}"))
            .ToList();
        Assert.True(mutable.Count == 0, "settable properties: " + string.Join(", ", mutable));
    }
}
