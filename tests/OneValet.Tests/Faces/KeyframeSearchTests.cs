using OneValet.Pipeline.Faces;
using OpenCvSharp;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>
/// PIPEDA s.9(1), O2: the model is not run again on views of a keyframe that show nothing new (<see cref="KeyframeSearch"/>),
/// and that saving never leaves a face unfound: a face appearing in a still scene, a face moving across it, a panning
/// picture's faces where they moved to, and every view read again within the stated bound however still the scene.
/// Real frames (the photo's face on its blurred self, 1280x720, YUV 4:2:0 as the redactor reads them) and the real model.
/// </summary>
public sealed class KeyframeSearchTests
{
    private const int Width = 1280;
    private const int Height = 720;

    private static readonly int ViewCount = LocalFaceDetector.Views(Width, Height).Count;

    [Fact]
    public void A_face_appearing_in_a_still_scene_is_found_in_the_first_keyframe_that_shows_it()
    {
        var search = new KeyframeSearch(FaceSamples.Detector);
        using var empty = Scene(0);
        for (var k = 0; k < 3; k++)
        {
            Assert.Empty(search.Search(Yuv(empty)).Faces);
        }

        // A small face (a head of about 35 pixels, for the tiles) comes into the still scene.
        using var face = Scene(0, (new Point(700, 420), 0.7));
        var picture = Yuv(face);
        var (faces, searched) = search.Search(picture);
        Assert.True(searched < ViewCount, $"{searched} of {ViewCount} views searched: the views the face is not in are still");
        var expected = FaceSamples.Detector.Detect(picture);
        Assert.NotEmpty(expected);
        Assert.All(expected, e => Assert.Contains(faces, found => Overlap(found, e) > 0.5));
    }

    [Fact]
    public void A_face_moving_across_a_still_scene_is_found_where_it_is_not_where_it_was()
    {
        var search = new KeyframeSearch(FaceSamples.Detector);
        for (var k = 0; k < 8; k++)
        {
            // 60 pixels a keyframe of the chain: 150 pixels a second with keyframes 10 frames apart at 25 fps.
            var x = 100 + (60 * k);
            using var frame = Scene(0, (new Point(x, 300), 1));
            var (faces, _) = search.Search(Yuv(frame));
            var expected = FaceSamples.Detector.Detect(Yuv(frame));
            Assert.NotEmpty(expected);
            foreach (var face in expected)
            {
                Assert.True(faces.Any(found => Overlap(found, face) > 0.5), $"keyframe {k}: the face at {face} was not found (found: {string.Join(", ", faces)})");
            }
        }
    }

    [Fact]
    public void A_panning_pictures_faces_are_carried_where_they_moved_and_match_a_full_search()
    {
        var search = new KeyframeSearch(FaceSamples.Detector);
        var carriedViews = 0;
        for (var k = 0; k < 6; k++)
        {
            // The camera pans 24 pixels a keyframe: the whole picture moves left.
            using var frame = Scene(24 * k, (new Point(300, 250), 1), (new Point(900, 150), 1), (new Point(1000, 480), 0.5));
            var picture = Yuv(frame);
            var (faces, searched) = search.Search(picture);
            carriedViews += ViewCount - searched;
            var expected = FaceSamples.Detector.Detect(picture);
            Assert.NotEmpty(expected);
            foreach (var face in expected)
            {
                Assert.True(faces.Any(found => Overlap(found, face) > 0.5), $"keyframe {k}: the face at {face} was not found (found: {string.Join(", ", faces)})");
            }
        }

        Assert.True(carriedViews > 2 * ViewCount, $"only {carriedViews} views carried over 6 keyframes: the pan was not recognised");
    }

    [Fact]
    public void Every_view_is_searched_again_within_the_bound_however_still_the_scene()
    {
        // The redactor's two chains take the keyframes in turn; together they must read every view at least every
        // RefreshEvery keyframes of the video, whatever the still and moved rules say.
        KeyframeSearch[] chains = [new(FaceSamples.Detector, chain: 0), new(FaceSamples.Detector, chain: 1)];
        using var still = Scene(0, (new Point(500, 300), 1));
        var picture = Yuv(still);
        var keyframes = 6 * KeyframeSearch.RefreshEvery;
        var views = new List<int>();
        for (var k = 0; k < keyframes; k++)
        {
            var (_, searched) = chains[k % 2].Search(picture);
            views.Add(searched);
        }

        // Each chain searched everything in its first keyframe; then, in a still scene, only the views due.
        Assert.Equal(ViewCount, views[0]);
        Assert.Equal(ViewCount, views[1]);
        Assert.All(views.Skip(2), count => Assert.InRange(count, 1, ViewCount - 1));

        // Over any RefreshEvery keyframes of the video, at least one view turn each: the sum covers every view.
        for (var start = 2; start + KeyframeSearch.RefreshEvery <= keyframes; start++)
        {
            Assert.True(views.Skip(start).Take(KeyframeSearch.RefreshEvery).Sum() >= ViewCount, $"keyframes {start} to {start + KeyframeSearch.RefreshEvery - 1} searched {views.Skip(start).Take(KeyframeSearch.RefreshEvery).Sum()} views of {ViewCount}");
        }
    }

    /// <summary>The blurred photo, 1280 + 200 pixels wide, with the face tile pasted (scaled) at each place, seen through a
    /// 1280x720 window <paramref name="pan"/> pixels from its left.</summary>
    private static Mat Scene(int pan, params (Point At, double Scale)[] faces)
    {
        using var canvas = FaceSamples.Background(Width + 200, Height);
        using var tile = FaceSamples.FaceTile();
        foreach (var (at, scale) in faces)
        {
            using var scaled = new Mat();
            Cv2.Resize(tile, scaled, new Size((int)(tile.Width * scale), (int)(tile.Height * scale)), 0, 0, InterpolationFlags.Area);
            using var target = new Mat(canvas, new Rect(at.X + 100, at.Y, scaled.Width, scaled.Height));
            scaled.CopyTo(target);
        }

        using var window = new Mat(canvas, new Rect(pan, 0, Width, Height));
        return window.Clone();
    }

    /// <summary>A BGR frame as ffmpeg gives it to the redactor: YUV 4:2:0, planar.</summary>
    private static FacePicture Yuv(Mat bgr)
    {
        using var yuv = new Mat();
        Cv2.CvtColor(bgr, yuv, ColorConversionCodes.BGR2YUV_I420);
        var bytes = new byte[yuv.Width * yuv.Height];
        System.Runtime.InteropServices.Marshal.Copy(yuv.Data, bytes, 0, bytes.Length);
        return new FacePicture(bytes, bgr.Width, bgr.Height, PictureLayout.Yuv420);
    }

    private static double Overlap(FaceRectangle a, FaceRectangle b)
    {
        var shared = PixelRect.Of(a).Intersect(PixelRect.Of(b)).Area;
        return (double)shared / Math.Max(1, Math.Min(a.Area, b.Area));
    }
}
