using System;
using System.Linq;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Boinc.Persist.Core.Planning;
using Boinc.Persist.Shell.Engine;
using Docker.DotNet.Models;
using ContainerSpec = Boinc.Persist.Core.Planning.ContainerSpec;
using LanguageExt;

namespace Boinc.Persist.TestSupport;

/// <summary>
/// The wrapper's create body (<see cref="ContainerSpecConverter"/>) read back into Docker.DotNet's models, which
/// carry the Engine API's field names: a field the converter misspells reads back empty here, and a test's own
/// engine client can create the very container the wrapper would.
/// </summary>
public static class CreateBodies
{
    public static CreateContainerParameters Parameters(ContainerSpec spec, string imageReference) =>
        Parameters(spec, imageReference, EngineCreateOptions.None);

    public static CreateContainerParameters Parameters(ContainerSpec spec, string imageReference, EngineCreateOptions engine)
    {
        var body = ContainerSpecConverter.ToCreateBody(spec, imageReference, engine, Seq<string>.Empty);
        var p = JsonSerializer.Deserialize<CreateContainerParameters>(body, Options)
            ?? throw new JsonException("the create body read back as null");
        p.Name = spec.Name; // the create request carries the name in its query, not its body
        return p;
    }

    private static readonly JsonSerializerOptions Options = new() { Converters = { new EnumMembers() } };

    /// <summary>Docker.DotNet's enums by the API's words (<c>[EnumMember(Value = "no")]</c>), as its own serializer reads them.</summary>
    private sealed class EnumMembers : JsonConverterFactory
    {
        public override bool CanConvert(Type t) => t.IsEnum;

        public override JsonConverter CreateConverter(Type t, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(Of<>).MakeGenericType(t))!;

        private sealed class Of<T> : JsonConverter<T>
            where T : struct, Enum
        {
            public override T Read(ref Utf8JsonReader reader, Type t, JsonSerializerOptions options)
            {
                var word = reader.GetString();
                foreach (var f in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static))
                {
                    if ((f.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? f.Name) == word)
                        return (T)f.GetValue(null)!;
                }

                throw new JsonException($"{word} is no {typeof(T).Name}");
            }

            public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
                throw new NotSupportedException("read only");
        }
    }
}
