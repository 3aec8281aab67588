#if F_XML
using System.IO;
using System.Linq;
using System.Xml.Linq;

namespace Floor;

internal static class XmlWork
{
    public static string Run(string path)
    {
        var doc = XDocument.Parse(File.ReadAllText(path), LoadOptions.SetLineInfo);
        var root = doc.Root!;
        var project = (string?)root.Element("project_dir") ?? "";
        var slot = (int?)root.Element("slot") ?? -1;
        var host = root.Element("host_info");
        var ncpus = (int?)host?.Element("p_ncpus") ?? 0;
        var files = root.Elements("app_file").Select(e => (string?)e ?? "").Where(s => s.Length > 0).Count();
        var docker = (string?)host?.Element("docker_type") ?? "";
        return $"{slot}/{ncpus}/{files}/{docker}/{project.Length}";
    }
}
#endif
