using System.Security.Cryptography;
using OneValet.Pipeline.Faces;
using OpenCvSharp;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Faces;

/// <summary>PIPEDA s.9(1): other people are severed (blurred) from footage given to a requester; the requester's face stays.</summary>
public sealed class FaceRedactorTests(ITestOutputHelper output) : IDisposable
{
    private const int Width = 640;
    private const int Height = 360;
    private static readonly Rect[] Tiles = TileRects();
    private readonly string _folder = Directory.CreateTempSubdirectory("onevalet-faces-").FullName;

    [Fact]
    public void The_cascade_finds_the_face_in_the_debian_photo()
    {
        using var photo = Cv2.ImRead(FaceSamples.PhotoPath, ImreadModes.Color);
        var faces = FaceSamples.Detect(photo);
        output.WriteLine($"messi5.jpg {photo.Width}x{photo.Height}: {string.Join("; ", faces)}");
        Assert.Contains(faces, f => f.Left is > 200 and < 235 && f.Width > 40);
    }

    [Fact]
    public void Every_face_is_blurred_when_the_requesters_face_is_not_known()
    {
        var jpeg = Scene();
        var original = (byte[])jpeg.Clone();
        var before = FaceSamples.Detector.Detect(jpeg);
        output.WriteLine("before: " + string.Join("; ", before));
        Assert.All(Tiles, tile => Assert.Contains(before, face => Inside(tile, face)));

        using var redacted = new MemoryStream();
        var result = FaceSamples.Redactor().RedactJpeg(jpeg, requesterFace: null, redacted);

        output.WriteLine(result.Summary);
        Assert.False(result.RequesterFaceKnown);
        Assert.Equal(1, result.Frames);
        Assert.True(result.FacesBlurred >= Tiles.Length);
        Assert.Contains("not known", result.Summary, StringComparison.Ordinal);
        Assert.Empty(FaceSamples.Verify(redacted.ToArray()));
        Assert.Equal(original, jpeg);
    }

    [Fact]
    public void Only_the_requesters_face_is_kept()
    {
        var jpeg = Scene();
        var requester = FaceSamples.Detector.Detect(jpeg).First(face => Inside(Tiles[0], face));

        using var redacted = new MemoryStream();
        var result = FaceSamples.Redactor().RedactJpeg(jpeg, requester, redacted);

        var after = FaceSamples.Verify(redacted.ToArray());
        output.WriteLine($"{result.Summary} after: {string.Join("; ", after)}");
        Assert.True(result.RequesterFaceKnown);
        Assert.Equal(1, result.FramesWithRequesterKept);
        Assert.NotEmpty(after);
        Assert.All(after, face => Assert.True(Inside(Tiles[0], face), $"a face outside the requester's tile survived: {face}"));
    }

    [Fact]
    public async Task A_video_is_redacted_frame_by_frame_into_a_new_file_with_the_same_frames_and_duration()
    {
        var source = FaceSamples.Video(_folder, seconds: 3, still: 2);
        var sourceHash = SHA256.HashData(await File.ReadAllBytesAsync(source));
        var (sourceFrames, sourceSeconds) = FaceSamples.Probe(source);
        var firstFrame = FaceSamples.DetectPerFrame(source)[0];
        var requester = firstFrame.First(face => face.Top < Height / 2);
        output.WriteLine($"source: {sourceFrames} frames, {sourceSeconds:F2} s, first frame: {string.Join("; ", firstFrame)}");

        var target = Path.Combine(_folder, "redacted.mp4");
        RedactionResult result;
        await using (var input = File.OpenRead(source))
        await using (var redacted = File.Create(target))
        {
            result = await FaceSamples.Redactor(_folder).RedactMp4Async(input, redacted, requester, CancellationToken.None);
        }

        var (frames, seconds) = FaceSamples.Probe(target);
        var perFrame = FaceSamples.DetectPerFrame(target);
        output.WriteLine($"{result.Summary} codec {result.VideoCodec}; output: {frames} frames, {seconds:F2} s");
        Assert.Equal(sourceHash, SHA256.HashData(await File.ReadAllBytesAsync(source)));
        Assert.InRange(result.Frames, sourceFrames - 1, sourceFrames + 1);
        Assert.InRange(frames, sourceFrames - 1, sourceFrames + 1);
        Assert.InRange(seconds, sourceSeconds - 0.1, sourceSeconds + 0.1);
        Assert.Equal(FFMpegEncoderExpected(), result.VideoCodec);

        foreach (var faces in perFrame.Where(f => f.Any(face => face.Top >= Height / 2)).Take(5))
        {
            output.WriteLine("left at the bottom: " + string.Join("; ", faces));
        }

        // Nobody along the bottom (the two people standing) in any frame; the requester, moving along the top, still there.
        Assert.All(perFrame, faces => Assert.DoesNotContain(faces, face => face.Top >= Height / 2));
        var keptFrames = perFrame.Count(faces => faces.Any(face => face.Top < Height / 2));
        output.WriteLine($"requester's face detected in {keptFrames}/{perFrame.Count} redacted frames; kept in {result.FramesWithRequesterKept}");
        Assert.True(keptFrames >= perFrame.Count * 6 / 10, $"the requester's face was detected in only {keptFrames} of {perFrame.Count} frames");
        Assert.Empty(Directory.GetFiles(_folder, "onevalet-redact-*"));
    }

    [Fact]
    public async Task A_video_without_a_known_requester_has_no_face_left()
    {
        var source = FaceSamples.Video(_folder, seconds: 2, still: 2);
        using var redacted = new MemoryStream();
        await using (var input = File.OpenRead(source))
        {
            var result = await FaceSamples.Redactor(_folder).RedactMp4Async(input, redacted, requesterFace: null, CancellationToken.None);
            Assert.False(result.RequesterFaceKnown);
            Assert.True(result.FacesBlurred >= 3 * result.Frames);
        }

        var target = Path.Combine(_folder, "all-blurred.mp4");
        await File.WriteAllBytesAsync(target, redacted.ToArray());
        var perFrame = FaceSamples.DetectPerFrame(target);
        var sourceFrames = FaceSamples.Probe(source).Frames;
        Assert.InRange(perFrame.Count, sourceFrames - 1, sourceFrames + 1);
        // Every face the detector found in the source is gone from the same frame of the redaction. (A stray detection
        // in the blurred background, where no face was, is the cascade's false positive, not a face left.)
        var sourcePerFrame = FaceSamples.DetectPerFrame(source);
        var left = perFrame.Zip(sourcePerFrame)
            .SelectMany((pair, frame) => pair.First.Where(face => pair.Second.Any(original => face.Overlap(original) > 0.2)).Select(face => (frame, face)))
            .ToList();
        output.WriteLine($"faces left where faces were: {left.Count}; stray detections elsewhere: {perFrame.Sum(f => f.Count) - left.Count}");
        Assert.Empty(left);
    }

    [Fact]
    public async Task Every_frame_of_a_video_with_moving_faces_keeps_the_requesters_face_only()
    {
        // A face crossing fast and one entering mid-video: whatever frames the redaction searches, no frame in between may
        // be left with a face the detector (full resolution, every frame of the result) finds where another person is.
        var video = FaceSamples.MovingFacesVideo(_folder, seconds: 4);
        var requester = FaceSamples.DetectPerFrame(video.Path)[0].Where(face => Inside(video.Requester, face)).MaxBy(face => face.Area);
        Assert.NotEqual(default, requester);

        var perFrame = await RedactAndDetect(video.Path, requester);

        var left = Leaks(perFrame, (frame, face) => video.OthersAt(frame).Any(tile => Inside(tile, face)));
        Assert.True(left.Count == 0, $"faces left in {left.Count} frame(s): {string.Join("; ", left.Take(10))}");
        var keptFrames = perFrame.Count(faces => faces.Any(face => Inside(video.Requester, face)));
        output.WriteLine($"requester's face detected in {keptFrames}/{perFrame.Count} redacted frames");
        Assert.True(keptFrames >= perFrame.Count * 6 / 10, $"the requester's face was detected in only {keptFrames} of {perFrame.Count} frames");
    }

    [Fact]
    public async Task Every_frame_of_a_video_with_moving_faces_has_no_face_left_when_the_requester_is_not_known()
    {
        var video = FaceSamples.MovingFacesVideo(_folder, seconds: 4);

        var perFrame = await RedactAndDetect(video.Path, requesterFace: null);

        var left = Leaks(perFrame, (frame, face) => video.OthersAt(frame).Append(video.Requester).Any(tile => Inside(tile, face)));
        Assert.True(left.Count == 0, $"faces left in {left.Count} frame(s): {string.Join("; ", left.Take(10))}");
    }

    [Fact]
    public async Task A_face_still_entering_when_the_video_ends_is_blurred()
    {
        // Three seconds: the face entering from the right at 1.6 s is never wholly in the picture, no search ahead finds it
        // whole; the half of it that shows (which the detector finds as a face) must be blurred all the same.
        var video = FaceSamples.MovingFacesVideo(_folder, seconds: 3);

        var perFrame = await RedactAndDetect(video.Path, requesterFace: null);

        var left = Leaks(perFrame, (frame, face) => video.OthersAt(frame).Append(video.Requester).Any(tile => Inside(tile, face)));
        Assert.True(left.Count == 0, $"faces left in {left.Count} frame(s): {string.Join("; ", left.Take(10))}");
    }

    [Fact]
    public async Task A_still_scene_is_read_again_only_in_each_views_turn_and_no_face_is_left_once_it_moves()
    {
        // The Debian photo (a crowd of faces) still for the first 1.6 s, then moving: still views reuse the search of the
        // same view, but for each view's turn (every 5th keyframe); once it moves, the views it moved in are searched or
        // carried where it moved; no face is left in any frame.
        var source = Path.Combine(_folder, "still-then-moving.mp4");
        FaceSamples.Run("ffmpeg", $"-hide_banner -loglevel error -y -f lavfi -i color=c=0x707070:s={Width}x{Height}:r=25:d=3 -loop 1 -i \"{FaceSamples.PhotoPath}\" -filter_complex \"[0][1]overlay=x='46+40*sin(max(0\\,t-1.6))':y=9:shortest=1\" -c:v libx264 -pix_fmt yuv420p \"{source}\"");
        var target = Path.Combine(_folder, "still-then-moving-redacted.mp4");
        RedactionResult result;
        await using (var input = File.OpenRead(source))
        await using (var redacted = File.Create(target))
        {
            result = await FaceSamples.Redactor(_folder).RedactMp4Async(input, redacted, requesterFace: null, CancellationToken.None);
        }

        // 75 frames: keyframes 0, 5, ..., 70 and the last, 16; 4 views each at 640x360 (the whole and 3 tiles). The first
        // of each chain reads all 4; the 7 other still ones (up to 1.6 s, frame 40) only the view whose turn it is (at
        // most 1 of 4 with a turn every 5th keyframe); from frame 45 on (7 keyframes), at most all. Searching the still
        // ones whole would read 64.
        var views = LocalFaceDetector.Views(Width, Height).Count;
        var keyframes = ((result.Frames - 1) / 5) + 1 + ((result.Frames - 1) % 5 == 0 ? 0 : 1);
        var read = result.Profile!.ViewsSearched;
        output.WriteLine($"{result.Summary}; {read} views of {keyframes} keyframes of {views} read");
        Assert.Equal(75, result.Frames);
        Assert.Equal(16, keyframes);
        Assert.Equal(4, views);
        Assert.InRange(read, (2 * views) + 1, (2 * views) + 7 + (7 * views));

        var perFrame = FaceSamples.DetectPerFrame(target);
        var sourcePerFrame = FaceSamples.DetectPerFrame(source);
        var left = perFrame.Zip(sourcePerFrame)
            .SelectMany((pair, frame) => pair.First.Where(face => pair.Second.Any(original => face.Overlap(original) > 0.2)).Select(face => (frame, face)))
            .ToList();
        Assert.True(left.Count == 0, $"faces left in {left.Count} frame(s): {string.Join("; ", left.Take(10))}");
        Assert.True(sourcePerFrame.Sum(f => f.Count) > 75, "the photo's faces are found in the source");
    }

    [Fact]
    public async Task A_long_video_is_redacted_holding_no_more_frames_at_once_than_a_bound_that_does_not_grow_with_its_length()
    {
        // 12 s, 300 frames at 640x360: ffmpeg decodes several hundred frames a second, the keyframe searches (four views
        // each, under load tens of milliseconds a view) come far behind, so a redaction that took frames as fast as they
        // were decoded would hold most of the video in memory (300 frames, 100 MB here; hours of 1080p in Azure). The
        // decoder must wait instead: never more than MostFramesHeld frames (26 with a keyframe every 5 frames) at once.
        var source = FaceSamples.Video(_folder, seconds: 12, still: 1);
        RedactionResult result;
        await using (var input = File.OpenRead(source))
        await using (var redacted = File.Create(Path.Combine(_folder, "long-redacted.mp4")))
        {
            result = await FaceSamples.Redactor(_folder).RedactMp4Async(input, redacted, requesterFace: null, CancellationToken.None);
        }

        var bound = FaceRedactor.MostFramesHeld(new FaceOptions().VideoKeyframeInterval);
        output.WriteLine($"{result.Frames} frames, at most {result.Profile!.FramesHeld} held at once (bound {bound})");
        Assert.Equal(300, result.Frames);
        Assert.InRange(result.Profile.FramesHeld, 1, bound);
        Assert.True(bound < result.Frames / 10, "the bound is a small part of the video");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Redacts <paramref name="source"/> and runs the detector on every frame of the result.</summary>
    private async Task<List<IReadOnlyList<FaceRectangle>>> RedactAndDetect(string source, FaceRectangle? requesterFace)
    {
        var sourceFrames = FaceSamples.Probe(source).Frames;
        var target = Path.Combine(_folder, $"redacted-{Guid.NewGuid():N}.mp4");
        RedactionResult result;
        await using (var input = File.OpenRead(source))
        await using (var redacted = File.Create(target))
        {
            result = await FaceSamples.Redactor(_folder).RedactMp4Async(input, redacted, requesterFace, CancellationToken.None);
        }

        output.WriteLine($"{result.Summary} codec {result.VideoCodec}");
        Assert.Equal(requesterFace is not null, result.RequesterFaceKnown);
        var perFrame = FaceSamples.DetectPerFrame(target);
        Assert.InRange(perFrame.Count, sourceFrames - 1, sourceFrames + 1);
        Assert.InRange(result.Frames, sourceFrames - 1, sourceFrames + 1);
        Assert.Empty(Directory.GetFiles(_folder, "onevalet-redact-*"));
        return perFrame;
    }

    /// <summary>
    /// The frames where the detector still finds a face where a person is (<paramref name="forbidden"/>), as "frame:
    /// rectangles". A stray detection in the blurred background, where nobody is, is the cascade's false positive.
    /// </summary>
    private List<string> Leaks(List<IReadOnlyList<FaceRectangle>> perFrame, Func<int, FaceRectangle, bool> forbidden)
    {
        var elsewhere = perFrame.Select((faces, frame) => faces.Count(face => !forbidden(frame, face))).Sum();
        output.WriteLine($"detections elsewhere (the requester's face; strays in the background): {elsewhere}");
        return perFrame
            .Select((faces, frame) => (frame, faces: faces.Where(face => forbidden(frame, face)).ToList()))
            .Where(pair => pair.faces.Count > 0)
            .Select(pair => $"{pair.frame}: {string.Join(", ", pair.faces)}")
            .ToList();
    }


    private static string FFMpegEncoderExpected() =>
        FaceSamples.Run("ffmpeg", "-hide_banner -encoders").Contains(" libx264 ", StringComparison.Ordinal) ? "libx264" : "mpeg4";

    private static Rect[] TileRects()
    {
        using var tile = FaceSamples.FaceTile();
        return
        [
            new Rect(10, 5, tile.Width, tile.Height),
            new Rect(Width - tile.Width - 10, Height - tile.Height - 5, tile.Width, tile.Height),
            new Rect(Width - (2 * (tile.Width + 10)), Height - tile.Height - 5, tile.Width, tile.Height),
        ];
    }

    private static byte[] Scene()
    {
        using var canvas = FaceSamples.Compose(Width, Height, Tiles.Select(t => t.Location).ToArray());
        return FaceSamples.Jpeg(canvas);
    }

    private static bool Inside(Rect tile, FaceRectangle face)
    {
        var x = face.Left + (face.Width / 2);
        var y = face.Top + (face.Height / 2);
        return tile.Contains(x, y);
    }
}
