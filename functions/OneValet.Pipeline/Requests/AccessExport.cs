using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Retention;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// The access answer's file, <c>exports/{requestId}/data.json</c> (O8), written as one block blob of three blocks so that the
/// person's door events, the bulk of it, are read once: the work step that searches their footage reads the events, and
/// stages them as the middle block while it reads (<see cref="StageDoorEventsAsync"/>); the assembly step, after the
/// recordings are redacted, stages the rest before and after them and commits the three (<see cref="CommitAsync"/>).
/// Before this, the events were read three times (footage search, quarantine search, answer), which made the export 2.65 to
/// 4.29 times the raw read (issue 15.7). An uncommitted block is not readable and Azure discards it after a week, the
/// export's own lifetime; its deletion is scheduled before the block is staged. The door events are as of the work step.
/// </summary>
public sealed class AccessExport(BlobServiceClient blobs, RetentionSchedule schedule, IOptions<StorageOptions> storage, IOptions<RequestOptions> options)
{
    public const string FileName = "data.json";

    // Block ids of one blob are of equal length: base64 of 8 ASCII bytes each.
    private static readonly string HeadBlock = BlockId("head0001");
    private static readonly string TailBlock = BlockId("tail0001");

    private static readonly JsonSerializerOptions Writing = new() { WriteIndented = false };

    /// <summary>
    /// Each block carries its MD5 (transactional: the service checks the bytes it received against it and refuses a block
    /// damaged on the way). Measured (issue 15.7): without it Azurite computes a CRC-64 of every block in JavaScript, about
    /// 185 ms for the 3.5 MB of 10,000 door events on the loaded 2-core machine, against 14 ms for its native MD5; the
    /// client's MD5 runs on the staging tasks, off the reading thread. Azure does the same check either way.
    /// </summary>
    private static readonly BlockBlobStageBlockOptions StageOptions = new()
    {
        TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
    };

    public static string BlobNameFor(string requestId) => $"{requestId}/{FileName}";

    private static string BlockId(string eightAscii) => Convert.ToBase64String(Encoding.ASCII.GetBytes(eightAscii));

    /// <summary>
    /// Writes door events as the JSON value <c>{"doorEvents":[...]}</c> while they are read, staging each
    /// <see cref="ChunkBytes"/> as a block of the file in the background, so that uploading overlaps reading. The block ids
    /// carry a tag of this writer: a retried work step stages new blocks and never commits a stale one.
    /// </summary>
    public sealed class DoorEvents : IDisposable
    {
        /// <summary>How many bytes of events go into one block.</summary>
        public const int ChunkBytes = 512 * 1024;

        private readonly BlockBlobClient? _blob;
        private readonly CancellationToken _cancellationToken;
        private readonly string _tag = Convert.ToHexString(RandomNumberGenerator.GetBytes(2))[..3].ToLowerInvariant();
        private readonly List<Task> _staging = [];
        private readonly List<string> _blocks = [];
        private MemoryStream _buffer = NewBuffer();
        private readonly Utf8JsonWriter _writer;
        private bool _complete;

        internal DoorEvents(BlockBlobClient? blob, CancellationToken cancellationToken)
        {
            _blob = blob;
            _cancellationToken = cancellationToken;
            _buffer.Write("{\"doorEvents\":["u8);
            _writer = new Utf8JsonWriter(_buffer);
        }

        public int Count { get; private set; }

        public void Add(JsonObject doorEvent)
        {
            ArgumentNullException.ThrowIfNull(doorEvent);
            Add(writer => doorEvent.WriteTo(writer));
        }

        /// <summary>An event as the store returned it: its UTF-8 text is copied as it is (issue 15.7: re-serializing each
        /// event through a writer cost a quarter of the export), valid JSON because the element was parsed from it.</summary>
        public void Add(JsonElement doorEvent)
        {
            ThrowIfComplete();
            if (Count > 0)
            {
                _buffer.WriteByte((byte)',');
            }

            _buffer.Write(JsonMarshal.GetRawUtf8Value(doorEvent));
            Count++;
            if (_buffer.Length >= ChunkBytes)
            {
                StageBuffer();
            }
        }

        private void Add(Action<Utf8JsonWriter> write)
        {
            ThrowIfComplete();
            if (Count > 0)
            {
                _buffer.WriteByte((byte)',');
            }

            // One event per writer state: the array's brackets and commas are written around them by hand, so that the
            // buffer can be handed over at any event boundary.
            _writer.Reset(_buffer);
            write(_writer);
            _writer.Flush();
            Count++;
            if (_buffer.Length >= ChunkBytes)
            {
                StageBuffer();
            }
        }

        private void ThrowIfComplete()
        {
            if (_complete)
            {
                throw new InvalidOperationException("The door events were completed: no event can follow.");
            }
        }

        /// <summary>No more events: closes the JSON value and starts staging what is left, without waiting, so that the
        /// last block's upload overlaps what the caller does next (the footage search's queries). Idempotent.</summary>
        public void Complete()
        {
            if (_complete)
            {
                return;
            }

            _complete = true;
            _buffer.Write("]}"u8);
            StageBuffer();
        }

        /// <summary>Completes the value (<see cref="Complete"/>) and waits for every block; returns their ids in order.</summary>
        public async Task<IReadOnlyList<string>> FinishAsync()
        {
            Complete();
            await Task.WhenAll(_staging).ConfigureAwait(false);
            return _blocks;
        }

        /// <summary>A block's buffer, sized once: growing from empty would copy each block through five doubling arrays on
        /// the large-object heap (issue 15.7).</summary>
        private static MemoryStream NewBuffer() => new(ChunkBytes + (ChunkBytes / 8));

        private void StageBuffer()
        {
            var id = BlockId(string.Create(CultureInfo.InvariantCulture, $"e{_tag}{_blocks.Count:D4}"));
            _blocks.Add(id);
            var chunk = _buffer;
            chunk.Position = 0;
            // Off the reading thread: the client hashes and copies the block before its first await, work the read
            // loop would otherwise wait for.
            _staging.Add(Task.Run(() => StageAsync(id, chunk), _cancellationToken));
            _buffer = _complete ? new MemoryStream(0) : NewBuffer();
        }

        private async Task StageAsync(string id, MemoryStream chunk)
        {
            await using (chunk.ConfigureAwait(false))
            {
                if (_blob is not null)
                {
                    await _blob.StageBlockAsync(id, chunk, StageOptions, _cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public void Dispose()
        {
            _writer.Dispose();
            _buffer.Dispose();
        }
    }

    /// <summary>Schedules the export's deletion (O8, <see cref="RequestOptions.ExportRetention"/>) before anything of it is
    /// written, and returns a writer that stages door events as blocks of the file while they are read.</summary>
    public async Task<DoorEvents> OpenDoorEventsAsync(string requestId, string subjectId, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        // Both before any block is staged, side by side (the container's creation writes nothing of the person).
        var container = blobs.GetBlobContainerClient(storage.Value.ExportsContainer);
        await Task.WhenAll(
            ScheduleAsync(requestId, subjectId, now, expiresAt, cancellationToken),
            container.CreateIfNotExistsAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new DoorEvents(container.GetBlockBlobClient(BlobNameFor(requestId)), cancellationToken);
    }

    /// <summary>
    /// Writes the file: <paramref name="head"/>'s members, then <c>"hardwareUsage"</c> (the door events staged as
    /// <paramref name="eventBlocks"/>), then <paramref name="tail"/>'s members. When there are no staged blocks (a plan of
    /// an older version) or they are gone (Azure discards uncommitted blocks after a week), <paramref name="readDoorEvents"/>
    /// reads the events into a new writer now. Returns the number of door events when they were read here, else null.
    /// </summary>
    public async Task<int?> CommitAsync(
        string requestId,
        string subjectId,
        JsonObject head,
        JsonObject tail,
        IReadOnlyList<string>? eventBlocks,
        DateTimeOffset now,
        DateTimeOffset expiresAt,
        Func<DoorEvents, CancellationToken, Task> readDoorEvents,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(tail);
        ArgumentNullException.ThrowIfNull(readDoorEvents);
        var container = blobs.GetBlobContainerClient(storage.Value.ExportsContainer);
        var blob = container.GetBlockBlobClient(BlobNameFor(requestId));
        if (eventBlocks is null)
        {
            return await RereadAndCommitAsync().ConfigureAwait(false);
        }

        await StageAroundAsync().ConfigureAwait(false);
        try
        {
            await blob.CommitBlockListAsync([HeadBlock, .. eventBlocks, TailBlock], cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RequestFailedException e) when (e.ErrorCode == "InvalidBlockList")
        {
            return await RereadAndCommitAsync().ConfigureAwait(false);
        }

        async Task<int?> RereadAndCommitAsync()
        {
            using var events = await OpenDoorEventsAsync(requestId, subjectId, now, expiresAt, cancellationToken).ConfigureAwait(false);
            await readDoorEvents(events, cancellationToken).ConfigureAwait(false);
            var blocks = await events.FinishAsync().ConfigureAwait(false);
            await StageAroundAsync().ConfigureAwait(false);
            await blob.CommitBlockListAsync([HeadBlock, .. blocks, TailBlock], cancellationToken: cancellationToken).ConfigureAwait(false);
            return events.Count;
        }

        async Task StageAroundAsync()
        {
            // "{head members," + "hardwareUsage": + events + "," + "tail members}".
            var headText = head.ToJsonString(Writing);
            var tailText = tail.ToJsonString(Writing);
            var before = headText[..^1] + (head.Count > 0 ? "," : string.Empty) + "\"hardwareUsage\":";
            var after = (tail.Count > 0 ? "," : string.Empty) + tailText[1..];
            using var headStream = new MemoryStream(Encoding.UTF8.GetBytes(before));
            using var tailStream = new MemoryStream(Encoding.UTF8.GetBytes(after));
            await Task.WhenAll(
                blob.StageBlockAsync(HeadBlock, headStream, StageOptions, cancellationToken),
                blob.StageBlockAsync(TailBlock, tailStream, StageOptions, cancellationToken)).ConfigureAwait(false);
        }
    }

    private Task ScheduleAsync(string requestId, string subjectId, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        schedule.AddAsync(new ScheduleEntry
        {
            Kind = ItemKind.Export,
            ItemPartition = requestId,
            ItemId = FileName,
            BlobName = BlobNameFor(requestId),
            SubjectId = subjectId,
            BuildingId = "exports",
            EventAt = now,
            Category = "export",
            Rule = new RetentionRule("export-7d", "O8", options.Value.ExportRetention, RetentionAction.Delete),
            Deadline = expiresAt,
        }, cancellationToken);
}
