namespace Boinc.Persist.Properties;

/// <summary>
/// Every FsCheck generator of the suite lives in this partial class (one file per concept, one class), so a
/// property names <c>typeof(Generators)</c> and finds them all.
/// </summary>
public static partial class Generators
{
}
