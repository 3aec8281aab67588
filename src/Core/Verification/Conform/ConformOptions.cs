using System;
using System.Globalization;
using LanguageExt;

namespace Boinc.Persist.Core.Verification.Conform;

/// <summary>
/// The command line of <c>conform</c>. <see cref="Wrapper"/> is the command that starts the wrapper under test
/// (split into words like plain shell words with quotes; nothing is expanded).
/// </summary>
public sealed record ConformOptions(
    Seq<string> Wrapper,
    Seq<Guarantee> Selected,
    int Trials,
    int Seed,
    Option<string> JsonFile,
    bool ListOnly,
    string BaseImage,
    Option<string> WorkRoot,
    bool KeepFiles)
{
    public const string DefaultBaseImage = "boinc-persist/busybox:1";

    /// <summary>The default of <see cref="Patience"/>: room for an image build on a slow, fresh host.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How long a trial waits for the wrapper to reach its next point (start the job and make progress, reach a
    /// checkpoint, exit after a short job); a whole job gets one and a half times this. A trial that runs out of
    /// patience is NOT RUN (the wrapper did not show the guarantee), never HELD. The suite's own tests lower it
    /// for wrappers that never start anything; the guarantees' own bounds (2 s, 35 s, 60 s) do not change.
    /// </summary>
    public TimeSpan Patience { get; init; } = DefaultPatience;

    public static Either<string, ConformOptions> Parse(string[] args)
    {
        Option<string> wrapper = None, only = None, json = None, root = None;
        var trials = 1;
        var seed = 1;
        var patience = DefaultPatience;
        var list = false;
        var keep = false;
        var image = DefaultBaseImage;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "--list": list = true; break;
                case "--keep": keep = true; break;
                case "--wrapper": if (Next() is { } w) wrapper = w; else return Missing(a); break;
                case "--only": if (Next() is { } o) only = o; else return Missing(a); break;
                case "--json": if (Next() is { } j) json = j; else return Missing(a); break;
                case "--work-root": if (Next() is { } r) root = r; else return Missing(a); break;
                case "--base-image": if (Next() is { } b) image = b; else return Missing(a); break;
                case "--trials":
                    if (!int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out trials) || trials < 1 || trials > 1000)
                        return "--trials needs a number from 1 to 1000";
                    break;
                case "--patience":
                    if (!int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p < 1 || p > 86400)
                        return "--patience needs a number of seconds from 1 to 86400";
                    patience = TimeSpan.FromSeconds(p);
                    break;
                case "--seed":
                    if (!int.TryParse(Next(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out seed))
                        return "--seed needs an integer";
                    break;
                default: return $"unknown argument {a}";
            }
        }

        var selected = Catalogue.Select(only);
        if (selected.IsLeft)
            return selected.LeftToSeq().Head();
        if (list)
            return new ConformOptions(Seq<string>.Empty, selected.RightToSeq().Head(), trials, seed, json, true, image, root, keep) { Patience = patience };
        if (wrapper.IsNone)
            return "--wrapper CMD is required (the command that starts the wrapper under test)";
        return Words.Split(wrapper.IfNone("")).Bind<ConformOptions>(words => words.IsEmpty
            ? "--wrapper names no command"
            : new ConformOptions(words, selected.RightToSeq().Head(), trials, seed, json, false, image, root, keep) { Patience = patience });
    }

    private static Either<string, ConformOptions> Missing(string option) => $"{option} needs a value";

    private static Option<string> None => Option<string>.None;
}

/// <summary>Splits a command into words: whitespace separates, single and double quotes group, backslash escapes.</summary>
public static class Words
{
    public static Either<string, Seq<string>> Split(string text)
    {
        var words = new System.Collections.Generic.List<string>();
        var current = new System.Text.StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\') current.Append(text[++i]);
                else current.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                current.Append(text[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (quote != '\0')
            return $"unterminated {quote} quote in the wrapper command";
        if (inWord) words.Add(current.ToString());
        return words.ToSeq();
    }
}
