using Boinc.Persist.Core.Checkpoints;
using Boinc.Persist.Core.Checkpoints.Model;

namespace Boinc.Persist.Shell.Checkpoints.Simulation;

/// <summary>
/// Which store the model checker drives for a variant (verification tooling, never used by the wrapper
/// itself): the shipped <see cref="CheckpointStore"/> wherever it can run the variant (the shipped protocol,
/// every commit variant, the caller variants); Core's protocol directly for the recovery variants, which
/// CheckpointStore.Recover does not take.
/// </summary>
public static class ModelStores
{
    public static IStoreUnderTest For(ProtocolVariant variant) =>
        Variants.Of(variant).Part == VariantPart.Recovery ? new CoreProtocolStore(variant) : new ShippedStore(variant);
}
