using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using LanguageExt;

namespace Boinc.Persist.Core.Slots;

/// <summary>
/// Reads the XML the BOINC client writes (<c>init_data.xml</c>) into <see cref="XmlNode"/>s, so the wrapper need
/// not carry System.Private.Xml (about 3.6 MB of its peak RSS as Native AOT, issue 17).
/// <para>It reads XML 1.0: an optional XML declaration (version 1.0, an encoding name, standalone), comments and
/// processing instructions, elements with attributes (checked, their values dropped), text, CDATA sections,
/// the five predefined entities and decimal or hexadecimal character references, with XML's line-end
/// normalization. It refuses, with the line: anything not well-formed (mismatched or unclosed tags, text or a
/// second element outside the root, <c>]]&gt;</c> in text, <c>--</c> in a comment, a duplicate attribute, a
/// character XML forbids, raw or referenced), unknown entities, <c>&lt;!DOCTYPE</c> anywhere (even in a comment), and nesting deeper than
/// <see cref="MaxDepth"/>. Stricter than XML where the client never writes anything: names are ASCII, namespaces
/// are refused (<see cref="XmlError.UsesNamespace"/>), the encoding name is only checked for its syntax.</para>
/// <para>What it accepts, <c>XDocument.Parse</c> accepts too, with the same elements, lines and values
/// (tests/Properties/Slots/XmlTextProperties.cs holds it to that). The text is hostile (the job can rewrite
/// its slot), so the reader makes one pass without recursion and counts lines as it goes.</para>
/// </summary>
public static class XmlText
{
    /// <summary>The deepest nesting accepted; the client's own files nest five deep.</summary>
    public const int MaxDepth = 64;

    public static Either<XmlError, XmlNode.Element> Parse(string text) => new Scanner(text).Document();

    /// <summary>One pass over the text. Each step returns false once it has recorded the error.</summary>
    private sealed class Scanner
    {
        private readonly string _s;
        private int _pos;
        private Option<XmlError> _error;
        private Option<XmlError.UsesNamespace> _namespace;

        // Line of _lineAt: positions asked for never decrease (element starts in document order, then one error).
        private int _lineAt;
        private int _line = 1;

        private readonly List<Frame> _open = new();
        private readonly StringBuilder _run = new();
        private bool _runIsSpace = true;
        private readonly System.Collections.Generic.HashSet<string> _attributes = new(StringComparer.Ordinal);

        /// <summary>An element whose end tag is still to come, and what it holds so far.</summary>
        private sealed class Frame(string name, int line)
        {
            public string Name { get; } = name;

            public int Line { get; } = line;

            public List<XmlNode> Content { get; } = new();
        }

        public Scanner(string s) => _s = s;

        public Either<XmlError, XmlNode.Element> Document()
        {
            // Refused wherever it appears, in a comment or CDATA section too, as the wrapper always did: no file
            // that mentions a DTD is one the client wrote.
            var doctype = _s.IndexOf("<!DOCTYPE", StringComparison.Ordinal);
            if (doctype >= 0)
                return Either<XmlError, XmlNode.Element>.Left(new XmlError.Doctype(LineAt(doctype)));

            XmlNode.Element? root = null;
            if (!(Declaration() && Misc() && Root(out root) && Misc() && End()))
                return Either<XmlError, XmlNode.Element>.Left(_error.IfNone(() => Impossible()));
            return _namespace.Match(
                n => Either<XmlError, XmlNode.Element>.Left(n),
                () => Either<XmlError, XmlNode.Element>.Right(root!));
        }

        private static XmlError Impossible() => throw new InvalidOperationException("a failed step recorded no error");

        // ---- the prolog and the end ------------------------------------------------------------------------

        /// <summary>An XML declaration, only as the very first characters (as XML requires).</summary>
        private bool Declaration()
        {
            if (!At("<?xml") || (_s.Length > 5 && !IsSpace(_s[5]) && _s[5] != '?'))
                return true;
            _pos = 5;
            if (!Spaces())
                return Fail("the XML declaration needs a space before 'version'");
            if (!Keyword("version") || !Eq() || !Quoted(out var version))
                return Fail("the XML declaration must start with version=\"1.0\"");
            if (version != "1.0")
                return Fail($"XML version '{Shown(version)}' is not 1.0");
            var space = Spaces();
            if (space && Keyword("encoding"))
            {
                if (!Eq() || !Quoted(out var encoding))
                    return false;
                if (!IsEncodingName(encoding))
                    return Fail($"'{Shown(encoding)}' is not an encoding name");
                space = Spaces();
            }
            if (space && Keyword("standalone"))
            {
                if (!Eq() || !Quoted(out var standalone))
                    return false;
                if (standalone is not ("yes" or "no"))
                    return Fail("standalone must be 'yes' or 'no'");
                Spaces();
            }
            return Expect("?>", "the XML declaration ends with '?>' (after version, encoding, standalone)");
        }

        /// <summary>Whitespace, comments and processing instructions, before or after the root.</summary>
        private bool Misc()
        {
            while (true)
            {
                Spaces();
                if (At("<!--")) { if (!Comment()) return false; }
                else if (At("<?")) { if (!ProcessingInstruction()) return false; }
                else return true;
            }
        }

        private bool End() =>
            _pos == _s.Length ||
            Fail(At("<") && _pos + 1 < _s.Length && IsNameStart(_s[_pos + 1])
                ? "a second element after the root element"
                : "only whitespace, comments and processing instructions may follow the root element");

        // ---- elements ----------------------------------------------------------------------------------------

        /// <summary>The root element and everything in it, with an explicit stack (the text chooses the depth).</summary>
        private bool Root(out XmlNode.Element? root)
        {
            root = null;
            if (_pos == _s.Length)
                return Fail("there is no root element");
            if (!At("<") || At("<!"))
                return Fail("text or markup before the root element");
            if (!StartTag(out var first, out var empty))
                return false;
            if (empty)
            {
                root = first;
                return true;
            }

            while (_open.Count > 0)
            {
                if (_pos == _s.Length)
                {
                    var top = _open[^1];
                    return Fail($"the file ends inside <{Shown(top.Name)}> opened on line {top.Line.ToString(CultureInfo.InvariantCulture)}");
                }

                var c = _s[_pos];
                if (c == '&')
                {
                    if (!Reference(out var decoded)) return false;
                    AppendToRun(decoded);
                    continue;
                }
                if (c != '<')
                {
                    if (!CharData()) return false;
                    continue;
                }

                FlushRun();
                if (At("</"))
                {
                    if (!EndTag(out var closed)) return false;
                    if (_open.Count == 0) root = closed;
                    else _open[^1].Content.Add(closed!);
                }
                else if (At("<!--")) { if (!Comment()) return false; }
                else if (At("<![CDATA[")) { if (!CData()) return false; }
                else if (At("<?")) { if (!ProcessingInstruction()) return false; }
                else if (At("<!")) return Fail("'<!' starts neither a comment nor a CDATA section");
                else
                {
                    if (_open.Count >= MaxDepth)
                        return Fail($"elements nest deeper than {MaxDepth.ToString(CultureInfo.InvariantCulture)} levels");
                    if (!StartTag(out var child, out var childEmpty)) return false;
                    if (childEmpty) _open[^1].Content.Add(child!);
                }
            }
            return true;
        }

        /// <summary>
        /// A start tag at <c>&lt;</c>. An empty-element tag yields its element; otherwise the element is opened
        /// on the stack and <paramref name="empty"/> is false.
        /// </summary>
        private bool StartTag(out XmlNode.Element? element, out bool empty)
        {
            element = null;
            empty = false;
            var line = LineAt(_pos);
            _pos++;
            if (!Name(out var name))
                return false;
            var namespaced = name.Contains(':');
            _attributes.Clear();
            while (true)
            {
                if (_pos == _s.Length)
                    return Fail($"the file ends inside the tag <{Shown(name)}");
                if (At("/>") || At(">"))
                    break;
                if (!Spaces())
                    return Fail($"expected whitespace, '>' or '/>' in the tag <{Shown(name)}>");
                if (At("/>") || At(">"))
                    break;
                if (!Name(out var attribute))
                    return false;
                if (!_attributes.Add(attribute))
                    return Fail($"the attribute '{Shown(attribute)}' appears twice in <{Shown(name)}>");
                namespaced |= attribute.Contains(':') || attribute == "xmlns";
                if (!Eq() || !AttributeValue())
                    return false;
            }

            if (namespaced && _namespace.IsNone)
                _namespace = new XmlError.UsesNamespace(line, name, _open.Count == 0);
            empty = At("/>");
            _pos += empty ? 2 : 1;
            if (empty)
                element = new XmlNode.Element(name, line, Seq<XmlNode>.Empty);
            else
                _open.Add(new Frame(name, line));
            return true;
        }

        /// <summary>An end tag at <c>&lt;/</c>; it must close the innermost open element, which it yields.</summary>
        private bool EndTag(out XmlNode.Element? closed)
        {
            closed = null;
            var top = _open[^1];
            _pos += 2;
            var start = _pos;
            while (_pos < _s.Length && IsNameChar(_s[_pos]))
                _pos++;
            if (!_s.AsSpan(start, _pos - start).SequenceEqual(top.Name))
                return Fail($"</{Shown(_s.Substring(start, _pos - start))}> does not close <{Shown(top.Name)}> opened on line {top.Line.ToString(CultureInfo.InvariantCulture)}");
            Spaces();
            if (!Expect(">", $"the end tag </{top.Name}> ends with '>'"))
                return false;
            _open.RemoveAt(_open.Count - 1);
            closed = new XmlNode.Element(top.Name, top.Line, top.Content.Count == 0 ? Seq<XmlNode>.Empty : top.Content.ToArray().ToSeq());
            return true;
        }

        /// <summary>An attribute's quoted value: checked like text (no <c>&lt;</c>), then dropped.</summary>
        private bool AttributeValue()
        {
            if (_pos == _s.Length || (_s[_pos] != '"' && _s[_pos] != '\''))
                return Fail("an attribute value must be quoted");
            var quote = _s[_pos++];
            while (true)
            {
                if (_pos == _s.Length)
                    return Fail("the file ends inside an attribute value");
                var c = _s[_pos];
                if (c == quote)
                {
                    _pos++;
                    return true;
                }
                if (c == '<')
                    return Fail("'<' inside an attribute value");
                if (c == '&')
                {
                    if (!Reference(out _)) return false;
                }
                else if (!Char(out _))
                    return false;
            }
        }

        // ---- character data ----------------------------------------------------------------------------------

        /// <summary>Text up to the next markup or reference, into the current run.</summary>
        private bool CharData()
        {
            while (_pos < _s.Length && _s[_pos] != '<' && _s[_pos] != '&')
            {
                if (At("]]>"))
                    return Fail("']]>' is not allowed in text");
                if (_s[_pos] == '\r')
                {
                    // XML reads CR LF and a lone CR as LF.
                    _pos += At("\r\n") ? 2 : 1;
                    AppendToRun("\n");
                    continue;
                }
                var start = _pos;
                if (!Char(out var width))
                    return false;
                AppendToRun(_s.AsSpan(start, width));
            }
            return true;
        }

        private void AppendToRun(ReadOnlySpan<char> text)
        {
            foreach (var c in text)
                _runIsSpace &= IsSpace(c);
            _run.Append(text);
        }

        /// <summary>Ends a run of text at markup; a run of XML whitespace alone is dropped (as XDocument does).</summary>
        private void FlushRun()
        {
            if (_run.Length > 0 && !_runIsSpace)
                _open[^1].Content.Add(new XmlNode.Text(_run.ToString()));
            _run.Clear();
            _runIsSpace = true;
        }

        /// <summary>
        /// An entity or character reference at <c>&amp;</c>, decoded: the five XML predefines, <c>&amp;#N;</c> and
        /// <c>&amp;#xH;</c> naming a character XML allows.
        /// </summary>
        private bool Reference(out string decoded)
        {
            decoded = "";
            var start = _pos;
            _pos++;
            if (At("#"))
            {
                _pos++;
                var hex = At("x");
                if (hex) _pos++;
                var digitsStart = _pos;
                var value = 0;
                while (_pos < _s.Length && (hex ? char.IsAsciiHexDigit(_s[_pos]) : char.IsAsciiDigit(_s[_pos])))
                {
                    // Leading zeros are allowed, so the cap is on the value, not on the number of digits.
                    value = Math.Min(value * (hex ? 16 : 10) + HexValue(_s[_pos]), 0x110000);
                    _pos++;
                }
                if (_pos == digitsStart || !At(";"))
                    return Fail($"a character reference must be &#digits; or &#xhex; ('{Excerpt(start)}')");
                _pos++;
                if (!IsXmlChar(value))
                    return Fail($"&#{(hex ? "x" : "")}{Shown(_s.Substring(digitsStart, _pos - 1 - digitsStart))}; is a character XML does not allow");
                decoded = char.ConvertFromUtf32(value);
                return true;
            }

            var nameStart = _pos;
            while (_pos < _s.Length && char.IsAsciiLetter(_s[_pos]))
                _pos++;
            var entity = _s.Substring(nameStart, _pos - nameStart);
            if (!At(";"))
                return Fail($"'&' must start an entity or character reference ending with ';' ('{Excerpt(start)}')");
            _pos++;
            decoded = entity switch
            {
                "lt" => "<",
                "gt" => ">",
                "amp" => "&",
                "quot" => "\"",
                "apos" => "'",
                _ => "",
            };
            return decoded.Length > 0 || Fail($"&{Shown(entity)}; is not one of XML's five entities (lt, gt, amp, quot, apos)");
        }

        private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

        /// <summary>A CDATA section: its text is kept as written (line ends normalized), even when blank.</summary>
        private bool CData()
        {
            _pos += "<![CDATA[".Length;
            var text = new StringBuilder();
            while (!At("]]>"))
            {
                if (_pos == _s.Length)
                    return Fail("the file ends inside a CDATA section");
                if (_s[_pos] == '\r')
                {
                    _pos += At("\r\n") ? 2 : 1;
                    text.Append('\n');
                    continue;
                }
                var start = _pos;
                if (!Char(out var width))
                    return false;
                text.Append(_s, start, width);
            }
            _pos += 3;
            if (text.Length > 0)
                _open[^1].Content.Add(new XmlNode.Text(text.ToString()));
            return true;
        }

        // ---- comments and processing instructions ------------------------------------------------------------

        private bool Comment()
        {
            _pos += 4;
            while (!At("--"))
            {
                if (_pos == _s.Length)
                    return Fail("the file ends inside a comment");
                if (!Char(out _))
                    return false;
            }
            _pos += 2;
            return Expect(">", "'--' inside a comment (or a comment ending with '--->')");
        }

        private bool ProcessingInstruction()
        {
            _pos += 2;
            var start = _pos;
            if (!Name(out var target))
                return false;
            if (target.Equals("xml", StringComparison.OrdinalIgnoreCase))
            {
                _pos = start;
                return Fail(target == "xml"
                    ? "an XML declaration is allowed only at the very start of the file"
                    : $"'{target}' is reserved and cannot name a processing instruction");
            }
            if (target.Contains(':'))
            {
                _pos = start;
                return Fail($"a processing instruction's name cannot contain ':' ('{Shown(target)}')");
            }
            if (!At("?>") && !Spaces())
                return Fail($"expected whitespace or '?>' after <?{Shown(target)}");
            while (!At("?>"))
            {
                if (_pos == _s.Length)
                    return Fail("the file ends inside a processing instruction");
                if (!Char(out _))
                    return false;
            }
            _pos += 2;
            return true;
        }

        // ---- lexical pieces ----------------------------------------------------------------------------------

        /// <summary>A name: ASCII letters, digits, '_', '-', '.', ':' (not first: digits, '-', '.').</summary>
        private bool Name(out string name)
        {
            name = "";
            if (_pos == _s.Length || !IsNameStart(_s[_pos]))
                return Fail(_pos < _s.Length && _s[_pos] > 0x7f
                    ? "names must be ASCII here: the BOINC client writes no other"
                    : $"expected a name ('{Excerpt(_pos)}')");
            var start = _pos;
            while (_pos < _s.Length && IsNameChar(_s[_pos]))
                _pos++;
            if (_pos < _s.Length && _s[_pos] > 0x7f)
                return Fail("names must be ASCII here: the BOINC client writes no other");
            name = _s.Substring(start, _pos - start);
            return true;
        }

        private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_' || c == ':';

        private static bool IsNameChar(char c) => IsNameStart(c) || char.IsAsciiDigit(c) || c == '-' || c == '.';

        private static bool IsEncodingName(string s) =>
            s.Length > 0 && char.IsAsciiLetter(s[0]) &&
            s.AsSpan().IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") < 0;

        /// <summary>One character XML allows (a surrogate pair counts as one); <paramref name="width"/> is 1 or 2.</summary>
        private bool Char(out int width)
        {
            var c = _s[_pos];
            width = 1;
            if (char.IsHighSurrogate(c) && _pos + 1 < _s.Length && char.IsLowSurrogate(_s[_pos + 1]))
                width = 2;
            else if (!IsXmlChar(c))
                return Fail($"character U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)} is not allowed in XML");
            _pos += width;
            return true;
        }

        /// <summary>XML 1.0's Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.</summary>
        private static bool IsXmlChar(int c) =>
            c is 0x9 or 0xA or 0xD or (>= 0x20 and <= 0xD7FF) or (>= 0xE000 and <= 0xFFFD) or (>= 0x10000 and <= 0x10FFFF);

        private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r';

        /// <summary>Skips XML whitespace; whether there was any.</summary>
        private bool Spaces()
        {
            var start = _pos;
            while (_pos < _s.Length && IsSpace(_s[_pos]))
                _pos++;
            return _pos > start;
        }

        /// <summary><c>S? '=' S?</c>.</summary>
        private bool Eq()
        {
            Spaces();
            if (!Expect("=", "expected '=' after a name"))
                return false;
            Spaces();
            return true;
        }

        /// <summary>A quoted value in the XML declaration (no references there).</summary>
        private bool Quoted(out string value)
        {
            value = "";
            if (_pos == _s.Length || (_s[_pos] != '"' && _s[_pos] != '\''))
                return Fail("expected a quoted value");
            var end = _s.IndexOf(_s[_pos], _pos + 1);
            if (end < 0)
                return Fail("the quoted value is not closed");
            value = _s.Substring(_pos + 1, end - _pos - 1);
            _pos = end + 1;
            return true;
        }

        private bool Keyword(string word)
        {
            if (!At(word))
                return false;
            _pos += word.Length;
            return true;
        }

        private bool Expect(string token, string reason)
        {
            if (!At(token))
                return Fail(reason);
            _pos += token.Length;
            return true;
        }

        private bool At(string token) => _s.AsSpan(_pos).StartsWith(token, StringComparison.Ordinal);

        private string Excerpt(int from) => Shown(_s.Substring(from, Math.Min(12, _s.Length - from)));

        /// <summary>Hostile text as a message may quote it: one line of printable ASCII, cut after 40 characters.</summary>
        private static string Shown(string text) =>
            string.Create(Math.Min(text.Length, 40), text, (span, t) =>
            {
                for (var i = 0; i < span.Length; i++)
                    span[i] = t[i] is >= ' ' and <= '~' ? t[i] : '?';
            }) + (text.Length > 40 ? "..." : "");

        private bool Fail(string reason)
        {
            _error = new XmlError.Malformed(LineAt(_pos), reason);
            return false;
        }

        /// <summary>
        /// The 1-based line of a position: one more than the line breaks before it (CR LF, CR and LF each one,
        /// as XML readers count). Counted on from the last position asked for, so a whole pass costs one scan.
        /// </summary>
        private int LineAt(int pos)
        {
            if (pos < _lineAt)
                throw new InvalidOperationException("line numbers are asked for in document order");
            for (; _lineAt < pos; _lineAt++)
                if (_s[_lineAt] == '\r' || (_s[_lineAt] == '\n' && (_lineAt == 0 || _s[_lineAt - 1] != '\r')))
                    _line++;
            return _line;
        }
    }
}
