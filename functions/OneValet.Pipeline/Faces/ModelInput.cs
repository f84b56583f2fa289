using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace OneValet.Pipeline.Faces;

/// <summary>
/// A row of the face model's input from the sums of each input pixel's samples (<see cref="FacePicture.FillInput"/>):
/// their means (YUV 4:2:0, BT.601 limited range, converted to RGB; or RGB as it is), clamped to 0..255 and scaled to
/// [-1, 1], stored NHWC (red, green, blue a pixel). Eight pixels at a time where the processor has 256-bit vectors: the
/// same single-precision operations in the same order as one at a time (no fused multiply-add), so the model reads the
/// same bits either way (<c>ModelInputTests</c>), and the faces found do not depend on the processor.
/// </summary>
internal static class ModelInput
{
    public static void Row(ReadOnlySpan<int> a, ReadOnlySpan<int> b, ReadOnlySpan<int> c, float weight, bool yuv, Span<float> into)
    {
        if (a.Length != b.Length || a.Length != c.Length || into.Length < a.Length * 3)
        {
            throw new ArgumentException("The sums and the row differ in length.", nameof(into));
        }

        var start = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            start = Vectors(a, b, c, weight, yuv, into);
        }

        for (var i = start; i < a.Length; i++)
        {
            var (red, green, blue) = yuv ? FromYuv(a[i] * weight, b[i] * weight, c[i] * weight) : (a[i] * weight, b[i] * weight, c[i] * weight);
            into[(3 * i) + 0] = Scaled(red);
            into[(3 * i) + 1] = Scaled(green);
            into[(3 * i) + 2] = Scaled(blue);
        }
    }

    /// <summary>The pixels a multiple of eight covers; returns how many.</summary>
    private static int Vectors(ReadOnlySpan<int> a, ReadOnlySpan<int> b, ReadOnlySpan<int> c, float weight, bool yuv, Span<float> into)
    {
        var count = a.Length - (a.Length % Vector256<int>.Count);
        Span<float> lanes = stackalloc float[3 * Vector256<float>.Count];
        var w = Vector256.Create(weight);
        for (var i = 0; i < count; i += Vector256<int>.Count)
        {
            var x = Vector256.ConvertToSingle(Vector256.Create(a.Slice(i, Vector256<int>.Count))) * w;
            var y = Vector256.ConvertToSingle(Vector256.Create(b.Slice(i, Vector256<int>.Count))) * w;
            var z = Vector256.ConvertToSingle(Vector256.Create(c.Slice(i, Vector256<int>.Count))) * w;
            Vector256<float> red, green, blue;
            if (yuv)
            {
                var luma = Vector256.Create(1.164f) * (x - Vector256.Create(16f));
                var u = y - Vector256.Create(128f);
                var v = z - Vector256.Create(128f);
                red = luma + (Vector256.Create(1.596f) * v);
                green = luma - (Vector256.Create(0.392f) * u) - (Vector256.Create(0.813f) * v);
                blue = luma + (Vector256.Create(2.017f) * u);
            }
            else
            {
                (red, green, blue) = (x, y, z);
            }

            Scaled(red).CopyTo(lanes);
            Scaled(green).CopyTo(lanes[Vector256<float>.Count..]);
            Scaled(blue).CopyTo(lanes[(2 * Vector256<float>.Count)..]);
            var row = into.Slice(3 * i, 3 * Vector256<float>.Count);
            for (var k = 0; k < Vector256<float>.Count; k++)
            {
                row[(3 * k) + 0] = lanes[k];
                row[(3 * k) + 1] = lanes[Vector256<float>.Count + k];
                row[(3 * k) + 2] = lanes[(2 * Vector256<float>.Count) + k];
            }
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Red, float Green, float Blue) FromYuv(float y, float u, float v)
    {
        var luma = 1.164f * (y - 16f);
        u -= 128f;
        v -= 128f;
        return (luma + (1.596f * v), luma - (0.392f * u) - (0.813f * v), luma + (2.017f * u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scaled(float value) => (Math.Clamp(value, 0f, 255f) / 127.5f) - 1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scaled(Vector256<float> value) =>
        (Vector256.Min(Vector256.Max(value, Vector256<float>.Zero), Vector256.Create(255f)) / Vector256.Create(127.5f)) - Vector256<float>.One;
}
