using Microsoft.ML.OnnxRuntime;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// MediaPipe's BlazeFace ("back camera", 256x256; see Faces/Model/NOTICE.md) run by ONNX Runtime on the CPU. One run reads
/// a 256x256 RGB square (NHWC, [-1, 1]) and scores 896 anchors: a 16x16 grid of 2 and an 8x8 grid of 6, centred at
/// (i + 0.5) / n, each with a box offset (dx, dy, width, height in input pixels) and six key points. Boxes above the score
/// are merged by weighted non-maximum suppression at IoU 0.3, as MediaPipe does. Its box runs from the eyebrows to the
/// mouth: <see cref="LocalFaceDetector"/> grows it to the head. Thread-safe (ONNX Runtime's Run is).
/// </summary>
internal sealed class BlazeFace : IDisposable
{
    public const int InputSize = 256;

    private const double MergeOverlap = 0.3;

    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string[] _outputs;
    private readonly (float X, float Y)[] _anchors;

    public BlazeFace(string modelPath)
    {
        using var options = new SessionOptions
        {
            // One thread a run: keyframes are searched two at a time, beside the frames piped to and from ffmpeg.
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,

            // Errors only: its warnings (initializers the converter left unused) say nothing an operator can act on.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(modelPath, options);
        try
        {
            _input = _session.InputMetadata.Keys.Single();
            var dimensions = _session.InputMetadata[_input].Dimensions;
            if (dimensions.Length != 4 || dimensions[1] != InputSize || dimensions[2] != InputSize || dimensions[3] != 3)
            {
                throw new InvalidOperationException("The face model's input is not 256x256 RGB.");
            }

            // Scores of the 512 anchors of the 16x16 grid, of the 384 of the 8x8 one, then their boxes in the same order.
            var byShape = _session.OutputMetadata.ToDictionary(output => output.Key, output => output.Value.Dimensions);
            string Find(int anchors, int values) =>
                byShape.Single(o => o.Value.Length == 3 && o.Value[1] == anchors && o.Value[2] == values).Key;
            _outputs = [Find(512, 1), Find(384, 1), Find(512, 16), Find(384, 16)];
        }
        catch
        {
            _session.Dispose();
            throw;
        }

        _anchors = [.. Grid(16, 2), .. Grid(8, 6)];
    }

    /// <summary>The faces in one filled input, in input pixels (0 to 256; a box may reach beyond), merged, best first.</summary>
    public List<Detection> Run(float[] input, float minimumScore)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, [1, InputSize, InputSize, 3]);
        using var run = new RunOptions();
        using var results = _session.Run(run, [_input], [tensor], _outputs);
        var candidates = new List<Detection>();
        Collect(results[0].GetTensorDataAsSpan<float>(), results[2].GetTensorDataAsSpan<float>(), 0, minimumScore, candidates);
        Collect(results[1].GetTensorDataAsSpan<float>(), results[3].GetTensorDataAsSpan<float>(), 512, minimumScore, candidates);
        return Merge(candidates);
    }

    private void Collect(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, int firstAnchor, float minimumScore, List<Detection> into)
    {
        // The score's logit at the least score, so that most anchors cost one comparison.
        var least = MathF.Log(minimumScore / (1 - minimumScore));
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] < least)
            {
                continue;
            }

            var anchor = _anchors[firstAnchor + i];
            var box = boxes.Slice(i * 16, 4);
            var centerX = (anchor.X * InputSize) + box[0];
            var centerY = (anchor.Y * InputSize) + box[1];
            into.Add(new Detection(centerX - (box[2] / 2), centerY - (box[3] / 2), box[2], box[3], 1 / (1 + MathF.Exp(-scores[i]))));
        }
    }

    /// <summary>Weighted non-maximum suppression: each box with those overlapping it by IoU 0.3 or more becomes their
    /// score-weighted mean, with the best score.</summary>
    private static List<Detection> Merge(List<Detection> candidates)
    {
        candidates.Sort((a, b) => b.Score.CompareTo(a.Score));
        var merged = new List<Detection>();
        var taken = new bool[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            if (taken[i])
            {
                continue;
            }

            double x = 0, y = 0, w = 0, h = 0, weights = 0;
            for (var j = i; j < candidates.Count; j++)
            {
                if (taken[j] || (j != i && candidates[i].Overlap(candidates[j]) < MergeOverlap))
                {
                    continue;
                }

                taken[j] = true;
                var c = candidates[j];
                x += c.Left * c.Score;
                y += c.Top * c.Score;
                w += c.Width * c.Score;
                h += c.Height * c.Score;
                weights += c.Score;
            }

            merged.Add(new Detection((float)(x / weights), (float)(y / weights), (float)(w / weights), (float)(h / weights), candidates[i].Score));
        }

        return merged;
    }

    private static IEnumerable<(float X, float Y)> Grid(int cells, int perCell)
    {
        for (var row = 0; row < cells; row++)
        {
            for (var column = 0; column < cells; column++)
            {
                for (var k = 0; k < perCell; k++)
                {
                    yield return ((column + 0.5f) / cells, (row + 0.5f) / cells);
                }
            }
        }
    }

    public void Dispose() => _session.Dispose();

    /// <summary>A face the model found: its box (eyebrows to mouth) in input pixels, and its score (0 to 1).</summary>
    internal readonly record struct Detection(float Left, float Top, float Width, float Height, float Score)
    {
        public double Overlap(Detection other)
        {
            var width = Math.Min(Left + Width, other.Left + other.Width) - Math.Max(Left, other.Left);
            var height = Math.Min(Top + Height, other.Top + other.Height) - Math.Max(Top, other.Top);
            if (width <= 0 || height <= 0)
            {
                return 0;
            }

            var shared = (double)width * height;
            return shared / ((Width * Height) + (other.Width * other.Height) - shared);
        }
    }
}
