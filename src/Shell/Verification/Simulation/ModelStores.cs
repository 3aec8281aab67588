using Boinc.Persist.Shell.Checkpoints;
using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Verification.Model;

namespace Boinc.Persist.Shell.Verification.Simulation;

/// <summary>
/// Which store the model checker drives for a variant (verification tooling, never used by the wrapper
/// itself): always the shipped <see cref="CheckpointStore"/> over the model file system. Every variant reaches
/// it through <see cref="CheckpointStore.Open(Slots.ISlotFiles, Core.Config.CheckpointConfig, System.TimeProvider, ProtocolVariant)"/>:
/// the commit variants in its Commit, the recovery variants in its Recover and RecoverStore (each omitted or
/// reordered recovery step), the caller variants in how the explorer calls it.
/// </summary>
public static class ModelStores
{
    public static IStoreUnderTest For(ProtocolVariant variant) => new ShippedStore(variant);
}
