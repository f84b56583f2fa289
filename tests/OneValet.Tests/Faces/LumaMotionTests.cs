using OneValet.Pipeline.Faces;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>
/// <see cref="LumaMotion"/> decides which views of a keyframe the model may skip (O2, PIPEDA s.9(1)): a wrong shift makes
/// it carry faces to where they are not. A textured scene moved by a known whole-pixel shift (odd, negative, at the
/// farthest looked for) is found moved by exactly that; a still scene by none; and the moved picture shows the earlier one
/// only where nothing else changed.
/// </summary>
public sealed class LumaMotionTests
{
    [Theory]
    [InlineData(1280, 720, 13, 7)]
    [InlineData(1280, 720, -37, 0)]
    [InlineData(1280, 720, 0, -21)]
    [InlineData(640, 360, 96, -96)]
    [InlineData(641, 359, -1, 1)]
    [InlineData(1920, 1080, 55, 3)]
    [InlineData(1920, 1080, -75, 45)]
    [InlineData(1280, 720, 91, -61)]
    [InlineData(1280, 720, 27, 59)]
    [InlineData(1280, 720, -9, -83)]
    public void A_moved_picture_is_found_moved_by_exactly_its_shift(int width, int height, int dx, int dy)
    {
        var earlier = new LumaMotion();
        earlier.Fill(Scene(width, height, 0, 0));
        var now = new LumaMotion();
        now.Fill(Scene(width, height, dx, dy));
        Assert.Equal((dx, dy), now.ShiftSince(earlier));
        Assert.Equal((0, 0), earlier.ShiftSince(earlier));

        // Away from the sides (where the moved picture shows what the earlier did not), it shows the earlier one moved.
        var middle = new PixelRect(200, 100, width / 3, height / 3);
        Assert.True(now.Shows(earlier, middle, dx, dy, 16, 3));
        if (Math.Abs(dx) + Math.Abs(dy) >= 8)
        {
            Assert.False(now.Shows(earlier, middle, 0, 0, 16, 3));
        }
    }

    [Fact]
    public void A_region_where_something_changed_does_not_show_the_earlier_picture()
    {
        var earlier = new LumaMotion();
        earlier.Fill(Scene(1280, 720, 0, 0));
        var changed = Scene(1280, 720, 0, 0);
        for (var y = 300; y < 340; y++)
        {
            Array.Fill(changed.Data, (byte)250, (y * 1280) + 600, 40);
        }

        var now = new LumaMotion();
        now.Fill(changed);
        Assert.Equal((0, 0), now.ShiftSince(earlier));
        Assert.False(now.Shows(earlier, new PixelRect(512, 256, 256, 256), 0, 0, 32, 3));
        Assert.True(now.Shows(earlier, new PixelRect(0, 0, 512, 256), 0, 0, 32, 3));
    }

    /// <summary>A smooth textured scene (no two places alike), seen from (<paramref name="dx"/>, <paramref name="dy"/>):
    /// at (x, y) it shows what the unmoved scene shows at (x - dx, y - dy).</summary>
    private static FacePicture Scene(int width, int height, int dx, int dy)
    {
        var data = new byte[FacePicture.Yuv420Size(width, height)];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double sx = x - dx, sy = y - dy;
                var value = 128 + (50 * Math.Sin(sx / 37.0) * Math.Cos(sy / 23.0)) + (40 * Math.Sin((sx + (2 * sy)) / 91.0)) + (20 * Math.Cos(sx * sy / 5000.0));
                data[(y * width) + x] = (byte)Math.Clamp(value, 0, 255);
            }
        }

        Array.Fill(data, (byte)128, width * height, data.Length - (width * height));
        return new FacePicture(data, width, height, PictureLayout.Yuv420);
    }
}
