#if F_XMLTEXT
using System.IO;
using System.Linq;
using Boinc.Persist.Core.Slots;

namespace Floor;

/// <summary>What XmlWork does with XDocument, with the wrapper's own reader.</summary>
internal static class XmlTextWork
{
    public static string Run(string path) =>
        XmlText.Parse(File.ReadAllText(path)).Match(
            Right: root =>
            {
                string Text(XmlNode.Element parent, string name) =>
                    parent.Children.Filter(e => e.Name == name).Map(e => e.Value).LastOrNone().IfNone("");
                var project = Text(root, "project_dir");
                var slot = int.TryParse(Text(root, "slot"), out var s) ? s : -1;
                var host = root.Children.Filter(e => e.Name == "host_info").LastOrNone();
                var ncpus = host.Map(h => int.TryParse(Text(h, "p_ncpus"), out var n) ? n : 0).IfNone(0);
                var files = root.Children.Filter(e => e.Name == "app_file" && e.Value.Length > 0).Count;
                var docker = host.Map(h => Text(h, "docker_type")).IfNone("");
                return $"{slot}/{ncpus}/{files}/{docker}/{project.Length}";
            },
            Left: e => $"refused at line {e.Line}");
}
#endif
