using OneValet.Pipeline.Faces;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>
/// The face model reads what <see cref="FacePicture.FillInput"/> gives it: redaction (O2, PIPEDA s.9(1)) finds a face only
/// if that is the picture. Checked against the definition, written plainly here: each input pixel is the mean of an even
/// grid of samples over the picture pixels it covers (at most 3 a side), the picture mirrored beyond its left and right
/// sides and its first and last rows repeated above and below; YUV 4:2:0 (chroma at half size) converted to RGB with
/// BT.601 limited range; clamped to 0..255 and scaled to [-1, 1]. Bit for bit, for YUV and RGBA pictures of even and odd
/// sizes, through every view redaction reads and through squares placed at random across the sides.
/// </summary>
public sealed class ModelInputTests
{
    private const int Size = 256;

    public static TheoryData<int, int, PictureLayout> Pictures => new()
    {
        { 640, 360, PictureLayout.Yuv420 },
        { 1280, 720, PictureLayout.Yuv420 },
        { 1921, 1079, PictureLayout.Yuv420 },
        { 37, 53, PictureLayout.Yuv420 },
        { 300, 200, PictureLayout.Rgba },
        { 255, 257, PictureLayout.Rgba },
    };

    [Theory]
    [MemberData(nameof(Pictures))]
    public void The_models_input_is_the_mean_of_each_pixels_samples_in_rgb_scaled_to_minus_one_to_one(int width, int height, PictureLayout layout)
    {
        var random = new Random((width * 31) + height);
        var data = new byte[layout == PictureLayout.Yuv420 ? FacePicture.Yuv420Size(width, height) : width * height * 4];
        random.NextBytes(data);
        var picture = new FacePicture(data, width, height, layout);
        var views = LocalFaceDetector.Views(width, height).ToList();
        for (var k = 0; k < 12; k++)
        {
            views.Add(new LocalFaceDetector.View((random.NextDouble() * (width + 400)) - 200, (random.NextDouble() * (height + 400)) - 200, random.Next(40, 2500)));
        }

        var input = new float[Size * Size * 3];
        foreach (var view in views)
        {
            picture.FillInput(input, Size, view.Left, view.Top, view.Side);
            var expected = Reference(data, width, height, layout, view);
            for (var i = 0; i < input.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(input[i]) != BitConverter.SingleToInt32Bits(expected[i]))
                {
                    Assert.Fail($"{width}x{height} {layout}, view ({view.Left:F1}, {view.Top:F1}) side {view.Side:F1}: input {i} is {input[i]}, the definition gives {expected[i]}");
                }
            }
        }
    }

    private static float[] Reference(byte[] data, int width, int height, PictureLayout layout, LocalFaceDetector.View view)
    {
        var step = view.Side / Size;
        var count = Math.Clamp((int)Math.Floor(step), 1, 3);
        var chromaWidth = (width + 1) / 2;
        var chromaHeight = (height + 1) / 2;
        var result = new float[Size * Size * 3];
        for (var row = 0; row < Size; row++)
        {
            for (var column = 0; column < Size; column++)
            {
                int a = 0, b = 0, c = 0;
                for (var j = 0; j < count; j++)
                {
                    var y = Math.Clamp((int)Math.Floor(view.Top + (step * (row + ((j + 0.5) / count)))), 0, height - 1);
                    for (var i = 0; i < count; i++)
                    {
                        var x = Mirror((int)Math.Floor(view.Left + (step * (column + ((i + 0.5) / count)))), width);
                        if (layout == PictureLayout.Yuv420)
                        {
                            a += data[(y * width) + x];
                            b += data[(width * height) + ((y / 2) * chromaWidth) + (x / 2)];
                            c += data[(width * height) + (chromaWidth * chromaHeight) + ((y / 2) * chromaWidth) + (x / 2)];
                        }
                        else
                        {
                            a += data[(((y * width) + x) * 4) + 0];
                            b += data[(((y * width) + x) * 4) + 1];
                            c += data[(((y * width) + x) * 4) + 2];
                        }
                    }
                }

                var weight = 1f / (count * count);
                float red = a * weight, green = b * weight, blue = c * weight;
                if (layout == PictureLayout.Yuv420)
                {
                    var luma = 1.164f * ((a * weight) - 16f);
                    var u = (b * weight) - 128f;
                    var v = (c * weight) - 128f;
                    red = luma + (1.596f * v);
                    green = luma - (0.392f * u) - (0.813f * v);
                    blue = luma + (2.017f * u);
                }

                var at = ((row * Size) + column) * 3;
                result[at] = (Math.Clamp(red, 0f, 255f) / 127.5f) - 1f;
                result[at + 1] = (Math.Clamp(green, 0f, 255f) / 127.5f) - 1f;
                result[at + 2] = (Math.Clamp(blue, 0f, 255f) / 127.5f) - 1f;
            }
        }

        return result;
    }

    /// <summary>Mirrored at both sides: -1 is 0, -2 is 1, width is width - 1.</summary>
    private static int Mirror(int x, int length)
    {
        while (x < 0 || x >= length)
        {
            x = x < 0 ? -1 - x : (2 * length) - 1 - x;
        }

        return x;
    }
}
