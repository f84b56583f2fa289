namespace OneValet.Pipeline.Faces;

/// <summary>
/// The faces found in a video's keyframes (every Nth frame, and the last), and from them what to blur in every frame
/// (PIPEDA s.9(1) severing). Searching every frame costs too much; a face is never left unblurred between two searches:
/// <list type="bullet">
/// <item>a frame is blurred with the faces of the <see cref="Reach"/> keyframes at or before it and the <see cref="Reach"/>
/// keyframes after it (at the start and the end of the video, of the nearest 2 x <see cref="Reach"/>), so a face entering
/// between two keyframes is blurred from the next, and a face the search missed in one keyframe is still blurred from its
/// neighbours;</item>
/// <item>each face found in a keyframe is moved by how fast it goes: its rectangle grows, across and up and down apart, by
/// its speed times the frames between that keyframe and the frame (the farthest frame of the frame's keyframe interval:
/// all frames from one keyframe to the next get the same regions, aligned to 16-pixel blocks), so it covers the face
/// wherever it went meanwhile. The
/// speed is the distance to the nearest face of like size (two thirds to three halves) in the neighbouring keyframes,
/// with a half more and a pixel a frame to spare; a face found in one keyframe only is given a twentieth of its width a
/// frame; the growth stops at half the face's width (a nearer keyframe covers a face that went further, and past that the
/// regions of a fast face blurred most of the picture);</item>
/// <item>around that, the wide margin of <see cref="FaceRedactor"/> (three quarters of the face on each side).</item>
/// </list>
/// The requester's face (a rectangle in the first frame) is followed from keyframe to keyframe: the faces found overlapping
/// it (<see cref="SameFace"/>) are the requester's and are not blurred; it moves to the one of them that overlaps it most.
/// Where it is in both keyframes around a frame (or in the one it was found in), it is kept clear of the others' regions,
/// whose margins and growth would otherwise often reach it. Not thread-safe: one video, keyframes added in order.
/// </summary>
internal sealed class KeyframeFaces(FaceRectangle? requesterFace, bool requesterPerKeyframe = false)
{
    /// <summary>How many keyframes on each side of a frame give it faces.</summary>
    public const int Reach = 2;

    /// <summary>Blurred regions are aligned to this many pixels (see <see cref="Aligned"/>).</summary>
    private const int Alignment = 16;

    /// <summary>The speed, in face widths a frame, of a face found in one keyframe only.</summary>
    private const double UnmatchedSpeed = 0.05;

    /// <summary>How far, in face widths, a face of the neighbouring keyframe may be to be taken for the same.</summary>
    private const double MatchDistance = 1.5;

    /// <summary>
    /// Two regions sharing at least this share of the smaller are blurred as one (their bounding rectangle, hardly larger
    /// than the larger): the windows a face gives in four keyframes overlap that much. Lower, chains of merges would grow
    /// rectangles over places no face was (the requester's face among them).
    /// </summary>
    private const double MergeShare = 0.9;

    private readonly List<Keyframe> _keyframes = [];
    private FaceRectangle? _track = requesterFace;

    /// <summary>
    /// The last keyframe (its index) the frames from keyframe <paramref name="own"/> on are blurred from: <see cref="Reach"/>
    /// after it, and at the start <c>2 x Reach - 1</c>.
    /// </summary>
    public static int Needed(int own) => Math.Max(own + Reach, (2 * Reach) - 1);

    /// <summary>The keyframes added so far.</summary>
    public int Count => _keyframes.Count;

    /// <summary>
    /// Adds the faces found in keyframe <paramref name="frame"/> (keyframes in order) and follows the requester's face. Where
    /// the requester is found per keyframe (a visitor's photo matched by the Face API, see <see cref="RequesterFinder"/>),
    /// <paramref name="requesterHere"/> is where they are in this keyframe, null where they are not: it replaces the track.
    /// </summary>
    public void Add(int frame, IReadOnlyList<FaceRectangle> found, FaceRectangle? requesterHere = null)
    {
        ArgumentNullException.ThrowIfNull(found);
        if (requesterPerKeyframe)
        {
            _track = requesterHere;
        }

        var others = new List<FaceRectangle>(found.Count);
        var requesters = new List<FaceRectangle>();
        foreach (var face in found)
        {
            (_track is { } track && SameFace(track, face) ? requesters : others).Add(face);
        }

        if (_track is { } current && requesters.Count > 0)
        {
            _track = requesters.MaxBy(face => face.Overlap(current));
        }

        _keyframes.Add(new Keyframe(frame, others, requesters.Count > 0 ? _track : null));
    }

    /// <summary>The index of the keyframe at or before <paramref name="frame"/>: frames with the same one get the same regions.</summary>
    public int KeyframeOf(int frame) => _keyframes.FindLastIndex(key => key.Frame <= frame);

    /// <summary>
    /// The regions of frame <paramref name="frame"/> to blur, in pixels of a <paramref name="width"/> x
    /// <paramref name="height"/> picture, and the requester's face to keep clear of them (null when not found in the
    /// keyframes around). The keyframes up to <see cref="Needed"/> must have been added (or be all there are).
    /// </summary>
    public (List<PixelRect> Regions, PixelRect? Requester) Regions(int frame, int width, int height)
    {
        var own = KeyframeOf(frame);
        if (own < 0)
        {
            throw new InvalidOperationException("The frame's keyframe has not been added.");
        }

        // The 2 x Reach keyframes around the frame; at the start and the end of the video, the nearest 2 x Reach (the
        // keyframes are searched at different sizes in turn, and each frame should be blurred from all of them).
        var first = own - Reach + 1;
        var last = own + Reach;
        if (first < 0)
        {
            last -= first;
            first = 0;
        }

        if (last >= _keyframes.Count)
        {
            first = Math.Max(0, first - (last - _keyframes.Count + 1));
            last = _keyframes.Count - 1;
        }

        // Every frame from this keyframe to the next gets the same regions: each face grown for the farthest of those
        // frames. Regions that change size from frame to frame cost the encoder about twice as much as the picture itself
        // (x264 tracks each moving edge), and the encoder shares the cores with the search.
        var start = _keyframes[own].Frame;
        var end = own + 1 < _keyframes.Count ? _keyframes[own + 1].Frame - 1 : Math.Max(start, frame);
        var picture = new PixelRect(0, 0, width, height);
        var regions = new List<PixelRect>();
        for (var k = first; k <= last; k++)
        {
            var distance = Math.Max(Math.Abs(start - _keyframes[k].Frame), Math.Abs(end - _keyframes[k].Frame));
            foreach (var face in _keyframes[k].Others)
            {
                var (speedX, speedY) = Speed(k, face);
                var marginX = (face.Width * 3 / 4) + (int)Math.Min(face.Width / 2, Math.Ceiling(speedX * distance));
                var marginY = (face.Height * 3 / 4) + (int)Math.Min(face.Width / 2, Math.Ceiling(speedY * distance));
                var region = Aligned(new PixelRect(face.Left - marginX, face.Top - marginY, face.Width + (2 * marginX), face.Height + (2 * marginY))).Intersect(picture);
                if (region.Width > 0 && region.Height > 0)
                {
                    regions.Add(region);
                }
            }
        }

        return (Merge(regions), RequesterAround(own, picture));
    }

    /// <summary>
    /// The requester's face between keyframe <paramref name="own"/> and the next: where it is in both (it was there all
    /// along, or nearly), or in the one it was found in.
    /// </summary>
    private PixelRect? RequesterAround(int own, PixelRect picture)
    {
        var before = _keyframes[own].Requester;
        var after = own + 1 < _keyframes.Count ? _keyframes[own + 1].Requester : null;
        PixelRect? keep = (before, after) switch
        {
            ({ } a, { } b) => ToRect(a).Intersect(ToRect(b)),
            ({ } a, null) => ToRect(a),
            (null, { } b) => ToRect(b),
            _ => null,
        };
        return keep is { } rect && rect.Intersect(picture) is { Width: > 0, Height: > 0 } inside ? inside : null;
    }

    /// <summary>
    /// The rectangle grown outwards to multiples of <see cref="Alignment"/> pixels: the encoder's 16x16 macroblocks, so
    /// that a blurred region's edges are block edges (cheaper to encode, and at most 15 pixels more blurred on a side).
    /// </summary>
    private static PixelRect Aligned(PixelRect rect)
    {
        var left = (int)Math.Floor(rect.Left / (double)Alignment) * Alignment;
        var top = (int)Math.Floor(rect.Top / (double)Alignment) * Alignment;
        var right = (int)Math.Ceiling(rect.Right / (double)Alignment) * Alignment;
        var bottom = (int)Math.Ceiling(rect.Bottom / (double)Alignment) * Alignment;
        return new PixelRect(left, top, right - left, bottom - top);
    }

    private static PixelRect ToRect(FaceRectangle face) => new(face.Left, face.Top, face.Width, face.Height);

    /// <summary>
    /// Rectangles overlapping enough to be the same face, or one a part of the other, for the requester's track: a third
    /// of the smaller inside the larger, or the centre of either inside the other. (The rectangle given for the requester
    /// may be a cascade's box around part of the face, the windows found later the whole face, or the other way round.)
    /// </summary>
    internal static bool SameFace(FaceRectangle a, FaceRectangle b) => SharedShareOfSmaller(a, b) >= 1.0 / 3 || CenterInside(a, b) || CenterInside(b, a);

    private static double SharedShareOfSmaller(FaceRectangle a, FaceRectangle b)
    {
        var width = Math.Min(a.Left + a.Width, b.Left + b.Width) - Math.Max(a.Left, b.Left);
        var height = Math.Min(a.Top + a.Height, b.Top + b.Height) - Math.Max(a.Top, b.Top);
        return width <= 0 || height <= 0 ? 0 : (double)width * height / Math.Max(1, Math.Min(a.Area, b.Area));
    }

    private static bool CenterInside(FaceRectangle outer, FaceRectangle inner)
    {
        var x = inner.Left + (inner.Width / 2);
        var y = inner.Top + (inner.Height / 2);
        return x >= outer.Left && x < outer.Left + outer.Width && y >= outer.Top && y < outer.Top + outer.Height;
    }

    /// <summary>
    /// Pixels a frame, across and up and down, that <paramref name="face"/> of keyframe <paramref name="k"/> may move (see
    /// the class).
    /// </summary>
    private (double X, double Y) Speed(int k, FaceRectangle face)
    {
        (double X, double Y)? fastest = null;
        foreach (var neighbour in (ReadOnlySpan<int>)[k - 1, k + 1])
        {
            if (neighbour < 0 || neighbour >= _keyframes.Count)
            {
                continue;
            }

            (double X, double Y, double Distance)? nearest = null;
            foreach (var other in _keyframes[neighbour].Others)
            {
                var ratio = (double)other.Width / face.Width;
                var x = Math.Abs(Center(other.Left, other.Width) - Center(face.Left, face.Width));
                var y = Math.Abs(Center(other.Top, other.Height) - Center(face.Top, face.Height));
                var distance = Math.Sqrt((x * x) + (y * y));
                if (ratio is >= 0.67 and <= 1.5 && distance <= MatchDistance * Math.Max(face.Width, other.Width) && (nearest is null || distance < nearest.Value.Distance))
                {
                    nearest = (x, y, distance);
                }
            }

            if (nearest is { } found)
            {
                var frames = (double)Math.Abs(_keyframes[neighbour].Frame - _keyframes[k].Frame);
                fastest = (Math.Max(fastest?.X ?? 0, found.X / frames), Math.Max(fastest?.Y ?? 0, found.Y / frames));
            }
        }

        return fastest is { } speed
            ? ((1.5 * speed.X) + 1, (1.5 * speed.Y) + 1)
            : (UnmatchedSpeed * face.Width, UnmatchedSpeed * face.Width);
    }

    private static double Center(int start, int length) => start + (length / 2.0);

    /// <summary>
    /// Regions sharing at least <see cref="MergeShare"/> of the smaller become their bounding rectangle: one blur instead of
    /// several. One pass: what it leaves overlapping is blurred twice.
    /// </summary>
    private static List<PixelRect> Merge(List<PixelRect> regions)
    {
        for (var i = 0; i < regions.Count; i++)
        {
            for (var j = i + 1; j < regions.Count; j++)
            {
                var shared = regions[i].Intersect(regions[j]);
                var smaller = Math.Min(regions[i].Width * regions[i].Height, regions[j].Width * regions[j].Height);
                if (shared.Width > 0 && shared.Height > 0 && shared.Width * shared.Height >= MergeShare * smaller)
                {
                    regions[i] = regions[i].Union(regions[j]);
                    regions.RemoveAt(j);
                    j = i; // region i grew: look at the rest again
                }
            }
        }

        return regions;
    }

    /// <param name="Requester">Where the requester's face is in this keyframe; null when not found in it.</param>
    private sealed record Keyframe(int Frame, IReadOnlyList<FaceRectangle> Others, FaceRectangle? Requester);
}
