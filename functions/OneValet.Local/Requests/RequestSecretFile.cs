using System.Security.Cryptography;

namespace OneValet.Local.Requests;

/// <summary>
/// The local host's stand-in for the Key Vault secret <c>request-secret-key</c> (issue 13): 32 random bytes in the file
/// <c>request-secret-key</c> of the data directory, created on first start readable and writable by its owner only (the
/// mode is set when the file is created, so no other user can open it even for an instant), kept outside the record store
/// (<c>records.db</c>) so a copy of the store alone reveals no code and no address. Used only when
/// <c>OneValet:Requests:SecretKey</c> is not set.
/// </summary>
public static class RequestSecretFile
{
    public const string FileName = "request-secret-key";

    public static string LoadOrCreate(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var file = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(file))
        {
            var temp = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var writer = new StreamWriter(temp, options))
            {
                writer.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            }

            try
            {
                File.Move(temp, file, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(temp); // another process created it first: use theirs
            }
        }

        return File.ReadAllText(file).Trim();
    }
}
