namespace OneValet.Pipeline.Faces;

/// <summary>
/// The search of a video's keyframes, view by view (<see cref="LocalFaceDetector.Views"/>), for one chain of keyframes
/// (<see cref="FaceRedactor"/> searches two chains at once, each with its own; one keyframe at a time, in order):
/// <list type="bullet">
/// <item>every view is searched in every keyframe (searching tiles in turn, every other keyframe, left a small face
/// crossing fast unfound in the keyframes around some frames);</item>
/// <item>a view whose pixels have not changed since it was last searched (every block mean within
/// <see cref="BlockTolerance"/> grey levels: a still scene, an empty hallway, a face standing) is not searched again: it
/// has the same faces, since the search is a function of the pixels. It is
/// compared with the keyframe it was last searched in, not the last one reused, so slow change cannot add up unseen.</item>
/// </list>
/// </summary>
internal sealed class KeyframeSearch(LocalFaceDetector detector)
{
    private const double BlockTolerance = 3;

    private Searched?[] _last = [];

    /// <summary>The faces of a keyframe, and how many views the model read (0: all were still).</summary>
    public (IReadOnlyList<FaceRectangle> Faces, int ViewsSearched) Search(FacePicture picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        var views = LocalFaceDetector.Views(picture.Width, picture.Height);
        if (_last.Length != views.Count)
        {
            _last = new Searched?[views.Count];
        }

        var block = Math.Max(8, picture.Width / 40);
        var blocks = new Blocks(picture.BlockMeans(block), block, (picture.Width + block - 1) / block, (picture.Height + block - 1) / block);
        var found = new List<FaceRectangle>();
        var searched = 0;
        for (var v = 0; v < views.Count; v++)
        {
            var area = views[v].Rect.Intersect(picture.Bounds);
            if (_last[v] is { } last && blocks.Same(last.Blocks, area))
            {
                found.AddRange(last.Faces);
                continue;
            }

            var faces = detector.DetectIn(picture, views[v]);
            _last[v] = new Searched(blocks, faces);
            found.AddRange(faces);
            searched++;
        }

        // The order of the views, not of threads: the regions do not depend on timing.
        return ([.. LocalFaceDetector.Combine(found).OrderBy(face => face.Top).ThenBy(face => face.Left).ThenBy(face => face.Width)], searched);
    }

    private sealed record Searched(Blocks Blocks, IReadOnlyList<FaceRectangle> Faces);

    /// <summary>Block means of a keyframe's luma, <paramref name="Size"/> pixels a block, row by row.</summary>
    private sealed record Blocks(float[] Means, int Size, int Across, int Down)
    {
        /// <summary>Whether every block touching <paramref name="area"/> is within the tolerance of the same in <paramref name="other"/>.</summary>
        public bool Same(Blocks other, PixelRect area)
        {
            if (other.Size != Size || other.Across != Across || other.Down != Down || area.IsEmpty)
            {
                return false;
            }

            var right = Math.Min(Across, (area.Right + Size - 1) / Size);
            var bottom = Math.Min(Down, (area.Bottom + Size - 1) / Size);
            for (var y = area.Y / Size; y < bottom; y++)
            {
                for (var x = area.X / Size; x < right; x++)
                {
                    if (Math.Abs(Means[(y * Across) + x] - other.Means[(y * Across) + x]) > BlockTolerance)
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }
}
