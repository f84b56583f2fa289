namespace OneValet.Pipeline.Faces;

/// <summary>
/// Where the requester's face is in one keyframe of a video being redacted (<see cref="FaceRedactor"/>): given the keyframe
/// and the faces the search found in it, the requester's face, or null where it is not there (every face of the keyframe is
/// then blurred). Called on the keyframe search's own thread, before the keyframe's frames are blurred; it must not change
/// the picture, and must not throw (a finder that cannot tell answers null: fail closed).
/// </summary>
public delegate FaceRectangle? RequesterFinder(FacePicture keyframe, IReadOnlyList<FaceRectangle> found);
