using System;
using LanguageExt;

namespace Boinc.Persist.Core.Diagnostics;

/// <summary>
/// The result of reading or validating something: the value when there is no error, plus every finding
/// (warnings travel with a success; <c>Fin</c> cannot carry them). Invariant: <see cref="Value"/> is Some
/// exactly when <see cref="Findings"/> holds no error.
/// </summary>
public sealed record Checked<T>
{
    private Checked(Option<T> value, Seq<Diagnostic> findings)
    {
        Value = value;
        Findings = findings;
    }

    public Option<T> Value { get; }

    public Seq<Diagnostic> Findings { get; }

    public bool IsOk => Value.IsSome;

    public Seq<Diagnostic> Errors => Findings.Filter(d => d.IsError);

    public Seq<Diagnostic> Warnings => Findings.Filter(d => !d.IsError);

    /// <summary>A value with some warnings. If a finding is an error the value is dropped.</summary>
    public static Checked<T> Of(T value, Seq<Diagnostic> findings) =>
        Diagnostics.HasErrors(findings) ? new(Option<T>.None, findings) : new(value, findings);

    public static Checked<T> Ok(T value) => new(value, Seq<Diagnostic>.Empty);

    public static Checked<T> Fail(Seq<Diagnostic> findings)
    {
        if (!Diagnostics.HasErrors(findings))
            throw new ArgumentException("a failed Checked needs at least one error", nameof(findings));
        return new(Option<T>.None, findings);
    }

    public static Checked<T> Fail(Diagnostic error) => Fail(Seq1(error));

    public Checked<TR> Map<TR>(Func<T, TR> f) =>
        Value.Match(v => Checked<TR>.Of(f(v), Findings), () => Checked<TR>.Fail(Findings));

    /// <summary>Chains a second step; findings of both steps are kept in order.</summary>
    public Checked<TR> Bind<TR>(Func<T, Checked<TR>> f) =>
        Value.Match(
            v =>
            {
                var next = f(v);
                var all = Findings.Then(next.Findings);
                return next.Value.Match(r => Checked<TR>.Of(r, all), () => Checked<TR>.Fail(all));
            },
            () => Checked<TR>.Fail(Findings));

    /// <summary>Adds findings from elsewhere (e.g. a check that does not produce a value).</summary>
    public Checked<T> With(Seq<Diagnostic> more) =>
        Value.Match(v => Checked<T>.Of(v, Findings.Then(more)), () => Checked<T>.Fail(Findings.Then(more)));

    private static Seq<Diagnostic> Seq1(Diagnostic d) => new[] { d }.ToSeq();
}
