using LanguageExt;

namespace Boinc.Persist.Core;

/// <summary>
/// Concatenation of <see cref="Seq{A}"/> values, used instead of LanguageExt's <c>+</c> / <c>Concat</c>.
/// LanguageExt.Core 4.4.9 represents a concatenation as <c>SeqConcat&lt;A&gt;</c> holding a
/// <c>Seq&lt;ISeqInternal&lt;A&gt;&gt;</c>, whose own concatenation makes <c>SeqConcat&lt;ISeqInternal&lt;A&gt;&gt;</c>, and so
/// on without bound. Native AOT's optimizing compiler (ILC 10.0.12 with -O) fails on that generic cycle, so
/// nothing in this code base may instantiate it: <c>Seq.Concat</c>, <c>+</c>, <c>+=</c> and <c>Prelude.append</c>
/// on a Seq are replaced by <see cref="Then{T}(Seq{T}, Seq{T})"/>, which copies both sides into one strict
/// sequence. The lists joined here (findings, effects, labels, arguments) are short, so the copy costs nothing
/// that matters.
/// </summary>
public static class Seqs
{
    /// <summary>The items of <paramref name="first"/> followed by those of <paramref name="second"/>.</summary>
    public static Seq<T> Then<T>(this Seq<T> first, Seq<T> second)
    {
        if (second.IsEmpty) return first;
        if (first.IsEmpty) return second;
        var all = new T[first.Count + second.Count];
        var i = 0;
        foreach (var x in first) all[i++] = x;
        foreach (var x in second) all[i++] = x;
        return all.ToSeq();
    }
}
