using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Checkpoints.Model;

namespace Boinc.Persist.Shell.Checkpoints.Simulation;

/// <summary>Which store the model checker drives for a variant (verification tooling, never used by the wrapper itself).</summary>
public static class ModelStores
{
    public static IStoreUnderTest For(ProtocolVariant variant) => new CoreProtocolStore(variant);
}
