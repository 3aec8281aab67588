namespace Boinc.Persist.Integration.BoincClient;

/// <summary>
/// Class fixture of real-client tests: checks once that the client under test (<see cref="ClientUnderTest"/>:
/// <c>boinc</c>/<c>boinccmd</c>, or <c>boinc8</c>/<c>boinccmd8</c> with BOINC_PERSIST_TEST_CLIENT=8) is
/// installed and of the requested major version, so a missing client FAILS every such test with the fix
/// (scripts/boinc-up.sh or scripts/boinc8-up.sh) instead of an obscure start error.
/// </summary>
public sealed class BoincInstallation
{
    public BoincInstallation()
    {
        Version = ClientUnderTest.Version.Text;
        ClientUnderTest.Run(ClientUnderTest.BoincCmd, "--version");
    }

    /// <summary>E.g. "7.20.5 x86_64-pc-linux-gnu" or "8.2.15 x86_64-pc-linux-gnu".</summary>
    public string Version { get; }
}
