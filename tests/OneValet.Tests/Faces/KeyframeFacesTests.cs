using OneValet.Pipeline.Faces;
using Xunit;

namespace OneValet.Tests.Faces;

/// <summary>
/// PIPEDA s.9(1): a video searched only every Nth frame still has every face blurred in every frame between (the geometry
/// of <see cref="KeyframeFaces"/>, without pictures).
/// </summary>
public sealed class KeyframeFacesTests
{
    private const int Width = 640;
    private const int Height = 360;
    private const int Interval = 5;

    [Fact]
    public void A_face_moving_fast_is_inside_a_blurred_region_in_every_frame_between_keyframes()
    {
        // 12 pixels a frame: across the picture in two seconds at 25 fps.
        static FaceRectangle At(int frame) => new(20 + (12 * frame), 100, 80, 80);
        var faces = Keyframes(30, frame => [At(frame)], requester: null);

        for (var frame = 0; frame <= 30; frame++)
        {
            var (regions, requester) = faces.Regions(frame, Width, Height);
            Assert.Null(requester);
            AssertCovered(regions, At(frame), frame);
        }
    }

    [Fact]
    public void A_face_the_search_missed_in_a_keyframe_is_blurred_from_the_keyframes_around()
    {
        var face = new FaceRectangle(300, 120, 90, 90);
        var faces = Keyframes(30, frame => frame is 10 or 15 ? [] : [face], requester: null);

        for (var frame = 0; frame <= 30; frame++)
        {
            AssertCovered(faces.Regions(frame, Width, Height).Regions, face, frame);
        }
    }

    [Fact]
    public void A_face_entering_between_keyframes_is_blurred_from_the_ones_after_it()
    {
        // Enters from the right at frame 0, walking left 4 pixels a frame; the search first finds it at frame 20, when
        // most of it is in the picture.
        static FaceRectangle At(int frame) => new(Width - 20 - (4 * frame), 200, 80, 80);
        var faces = Keyframes(40, frame => frame >= 20 ? [At(frame)] : [], requester: null);

        for (var frame = 10; frame <= 40; frame++)
        {
            AssertCovered(faces.Regions(frame, Width, Height).Regions, At(frame), frame);
        }
    }

    [Fact]
    public void The_requesters_face_is_followed_and_kept_clear_while_the_others_are_blurred()
    {
        // The requester given as a box around part of the face (as a cascade may find it), walking right slowly.
        static FaceRectangle Requester(int frame) => new(40 + frame, 60, 90, 90);
        var other = new FaceRectangle(420, 200, 90, 90);
        var faces = Keyframes(30, frame => [Requester(frame), other], requester: new FaceRectangle(50, 100, 40, 40));

        for (var frame = 0; frame <= 30; frame++)
        {
            var (regions, requester) = faces.Regions(frame, Width, Height);
            AssertCovered(regions, other, frame);
            // The redactor restores this rectangle after blurring the regions, whatever margin reached it.
            Assert.NotNull(requester);
            var kept = requester.Value;
            var face = Requester(frame);
            Assert.True(!kept.Intersect(PixelRect.Of(face)).IsEmpty, $"frame {frame}: kept {kept} is not on the requester's face {face}");
        }
    }

    [Fact]
    public void Found_per_keyframe_the_requesters_face_is_kept_only_in_the_keyframes_that_matched_it()
    {
        // A visitor's photo (Requests/VisitorPhotos): the face service says in each keyframe which face is theirs, or none.
        // Where it says none (not there, or the service failed), both faces are blurred, even where the one it named before is.
        var visitor = new FaceRectangle(40, 60, 90, 90);
        var other = new FaceRectangle(420, 200, 90, 90);
        var faces = new KeyframeFaces(requesterFace: null, requesterPerKeyframe: true);
        faces.Add(0, [visitor, other], visitor);
        faces.Add(Interval, [visitor, other], visitor);
        faces.Add(2 * Interval, [visitor, other], null);
        faces.Add(3 * Interval, [visitor, other], null);
        faces.Add(4 * Interval, [visitor, other], null);

        var (first, kept) = faces.Regions(0, Width, Height);
        AssertCovered(first, other, 0);
        Assert.NotNull(kept);
        Assert.False(kept.Value.Intersect(PixelRect.Of(visitor)).IsEmpty);
        for (var frame = 2 * Interval; frame <= 4 * Interval; frame++)
        {
            var (regions, requester) = faces.Regions(frame, Width, Height);
            Assert.Null(requester);
            AssertCovered(regions, visitor, frame);
            AssertCovered(regions, other, frame);
        }
    }

    [Fact]
    public void Without_the_requesters_face_every_face_is_blurred()
    {
        var faces = Keyframes(20, _ => [new FaceRectangle(40, 60, 90, 90), new FaceRectangle(420, 200, 90, 90)], requester: null);

        for (var frame = 0; frame <= 20; frame++)
        {
            var (regions, requester) = faces.Regions(frame, Width, Height);
            Assert.Null(requester);
            AssertCovered(regions, new FaceRectangle(40, 60, 90, 90), frame);
            AssertCovered(regions, new FaceRectangle(420, 200, 90, 90), frame);
        }
    }

    [Theory]
    [InlineData(50, 100, 40, 40, true)] // part of the face: a third of it inside
    [InlineData(30, 50, 120, 120, true)] // the face and its surroundings: the face's centre inside
    [InlineData(200, 60, 90, 90, false)] // the next person
    public void The_requesters_face_is_recognised_by_overlap_not_by_likeness(int left, int top, int width, int height, bool same) =>
        Assert.Equal(same, KeyframeFaces.SameFace(new FaceRectangle(40, 60, 90, 90), new FaceRectangle(left, top, width, height)));

    [Theory]
    [InlineData(0, "VideoKeyframeInterval")]
    [InlineData(26, "VideoKeyframeInterval")]
    [InlineData(-5, "VideoKeyframeInterval")]
    public void Keyframe_settings_out_of_range_are_refused_at_start_up(int interval, string setting)
    {
        var result = new FaceOptionsValidator().Validate(null, new FaceOptions { VideoKeyframeInterval = interval });

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>Keyframes every <see cref="Interval"/> frames up to <paramref name="lastFrame"/> (and it), as the redactor adds them.</summary>
    private static KeyframeFaces Keyframes(int lastFrame, Func<int, FaceRectangle[]> found, FaceRectangle? requester)
    {
        var faces = new KeyframeFaces(requester);
        for (var frame = 0; frame <= lastFrame; frame += Interval)
        {
            faces.Add(frame, found(frame));
        }

        if (lastFrame % Interval != 0)
        {
            faces.Add(lastFrame, found(lastFrame));
        }

        return faces;
    }

    /// <summary>The part of <paramref name="face"/> inside the picture lies wholly inside one blurred region.</summary>
    private static void AssertCovered(List<PixelRect> regions, FaceRectangle face, int frame)
    {
        var box = PixelRect.Of(face).Intersect(new PixelRect(0, 0, Width, Height));
        Assert.True(
            regions.Exists(region => region.Intersect(box) == box),
            $"frame {frame}: the face at {box} is not inside any blurred region ({string.Join(", ", regions)})");
    }
}
