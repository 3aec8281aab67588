using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>
/// A node of a document <see cref="XmlText"/> read: an element or a run of character data. Closed union.
/// Comments and processing instructions are not kept; neither are runs of text that are only XML whitespace
/// between markup (as <c>XDocument.Parse</c> drops them), nor attribute values.
/// </summary>
public abstract record XmlNode
{
    private XmlNode() { }

    /// <summary>
    /// An element: its name as written, the line of its <c>&lt;</c> and its content in document order.
    /// Invariant (for trees <see cref="XmlText"/> built): nested at most <see cref="XmlText.MaxDepth"/> deep.
    /// </summary>
    public sealed record Element(string Name, int Line, Seq<XmlNode> Content) : XmlNode
    {
        /// <summary>The child elements, in document order.</summary>
        public Seq<Element> Children => Content.Choose(n => n is Element e ? Option<Element>.Some(e) : Option<Element>.None);

        /// <summary>All character data inside, at any depth, in document order (what <c>XElement.Value</c> gives).</summary>
        public string Value
        {
            get
            {
                var b = new StringBuilder();
                AppendValue(b);
                return b.ToString();
            }
        }

        // Recursion as deep as the tree: at most XmlText.MaxDepth for a tree read from text.
        private void AppendValue(StringBuilder b)
        {
            foreach (var node in Content)
            {
                if (node is Text t) b.Append(t.Value);
                else if (node is Element e) e.AppendValue(b);
            }
        }
    }

    /// <summary>Character data (text or a CDATA section) with references decoded and line ends normalized.</summary>
    public sealed record Text(string Value) : XmlNode;
}

/// <summary>Why <see cref="XmlText"/> refused a document, with the 1-based line where it found out. Closed union.</summary>
public abstract record XmlError(int Line)
{
    private XmlError() : this(0) { }

    /// <summary>The text is not well-formed XML 1.0, or uses something this reader does not read.</summary>
    public sealed record Malformed(int Line, string Reason) : XmlError(Line);

    /// <summary>The text holds <c>&lt;!DOCTYPE</c>: DTDs are refused (entity expansion is the classic attack on XML readers).</summary>
    public sealed record Doctype(int Line) : XmlError(Line);

    /// <summary>
    /// A well-formed document that uses XML namespaces (a prefixed element or attribute name, an <c>xmlns</c>
    /// or <c>xmlns:p</c> attribute), which this reader does not resolve: the first element that does.
    /// <paramref name="OnRoot"/> tells a caller that the document's root itself is not the plain name it reads.
    /// </summary>
    public sealed record UsesNamespace(int Line, string ElementName, bool OnRoot) : XmlError(Line);
}
