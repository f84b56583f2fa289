using Google.Protobuf;

namespace OneValet.Benchmarks;

/// <summary>
/// The redaction benchmark's <c>--no-model</c> ceiling: an ONNX model with BlazeFace's input and outputs (a 256x256 RGB
/// square in; scores and boxes of 512 and 384 anchors out) whose outputs are constants, every score a logit of -100, so
/// it costs ONNX Runtime next to nothing and finds nothing. Redacting through it measures everything but the detector's
/// arithmetic (ffprobe, the two ffmpegs and their pipes, the keyframes' luma and motion, filling the model's input, the
/// frames' bookkeeping): the best ratio any face detector could reach in this pipeline on this machine. It is written
/// here, field by field (ONNX's <c>onnx.proto</c>, opset 12), not shipped: nothing of it reaches the app.
/// </summary>
internal static class NullFaceModel
{
    public static string Write(string folder)
    {
        var path = Path.Combine(folder, "null-face-model.onnx");
        using var file = File.Create(path);
        var model = new CodedOutputStream(file);
        model.WriteTag(1, WireFormat.WireType.Varint);
        model.WriteInt64(7); // ir_version
        Message(model, 8, m =>
        {
            m.WriteTag(2, WireFormat.WireType.Varint);
            m.WriteInt64(12); // opset_import { version: 12 }
        });
        Message(model, 7, graph =>
        {
            var outputs = new (string Name, int Anchors, int Values, float Value)[]
            {
                ("Identity:0", 512, 1, -100), ("Identity_1:0", 384, 1, -100), ("Identity_2:0", 512, 16, 0), ("Identity_3:0", 384, 16, 0),
            };
            foreach (var output in outputs)
            {
                Message(graph, 1, node =>
                {
                    node.WriteString(2, output.Name); // output
                    node.WriteString(3, "const_" + output.Name); // name
                    node.WriteString(4, "Constant"); // op_type
                    Message(node, 5, attribute =>
                    {
                        attribute.WriteString(1, "value");
                        Message(attribute, 5, tensor => Tensor(tensor, [1, output.Anchors, output.Values], output.Value));
                        attribute.WriteTag(20, WireFormat.WireType.Varint);
                        attribute.WriteEnum(4); // TENSOR
                    });
                });
            }

            graph.WriteString(2, "null-face-model");
            Message(graph, 11, input => ValueInfo(input, "input:0", [1, 256, 256, 3]));
            foreach (var output in outputs)
            {
                Message(graph, 12, info => ValueInfo(info, output.Name, [1, output.Anchors, output.Values]));
            }
        });
        model.Flush();
        return path;
    }

    private static void Tensor(CodedOutputStream tensor, long[] dims, float value)
    {
        foreach (var dim in dims)
        {
            tensor.WriteTag(1, WireFormat.WireType.Varint);
            tensor.WriteInt64(dim);
        }

        tensor.WriteTag(2, WireFormat.WireType.Varint);
        tensor.WriteInt32(1); // FLOAT
        var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
        Array.Fill(values, value);
        var raw = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        tensor.WriteTag(9, WireFormat.WireType.LengthDelimited);
        tensor.WriteBytes(ByteString.CopyFrom(raw)); // raw_data, little-endian
    }

    private static void ValueInfo(CodedOutputStream info, string name, long[] dims)
    {
        info.WriteString(1, name);
        Message(info, 2, type => Message(type, 1, tensorType =>
        {
            tensorType.WriteTag(1, WireFormat.WireType.Varint);
            tensorType.WriteInt32(1); // FLOAT
            Message(tensorType, 2, shape =>
            {
                foreach (var dim in dims)
                {
                    Message(shape, 1, d =>
                    {
                        d.WriteTag(1, WireFormat.WireType.Varint);
                        d.WriteInt64(dim);
                    });
                }
            });
        }));
    }

    private static void WriteString(this CodedOutputStream stream, int field, string value)
    {
        stream.WriteTag(field, WireFormat.WireType.LengthDelimited);
        stream.WriteString(value);
    }

    /// <summary>A length-delimited sub-message: written to a buffer first, for its length.</summary>
    private static void Message(CodedOutputStream stream, int field, Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        write(inner);
        inner.Flush();
        stream.WriteTag(field, WireFormat.WireType.LengthDelimited);
        stream.WriteBytes(ByteString.CopyFrom(buffer.ToArray()));
    }
}
