using Boinc.Persist.Core.Diagnostics;

namespace Boinc.Persist.Properties.Diagnostics;

/// <summary>
/// Attributes cannot hold a <see cref="DiagnosticCode"/>, and a code's id written as a literal is what the
/// catalogue test forbids; so theory data names a code with <c>nameof(DiagnosticCodes.X)</c> and the test
/// turns the name back into the code here.
/// </summary>
public static class TestCodes
{
    public static DiagnosticCode Named(string name) =>
        (DiagnosticCode)(typeof(DiagnosticCodes).GetField(name)?.GetValue(null)
            ?? throw new System.ArgumentException($"no diagnostic code named {name} in the catalogue", nameof(name)));

    /// <summary>The id of the code so named, or the text itself when it names no code.</summary>
    public static string IdOrText(string text) =>
        typeof(DiagnosticCodes).GetField(text)?.GetValue(null) is DiagnosticCode c ? c.Id : text;
}
