using Sundown.Engine.Journaling;
using Sundown.Engine.Tests.Config;
using Sundown.Testing;

namespace Sundown.Engine.Tests.Journaling;

/// <summary>The state directory and its files: private, ours, and never reached through a link.</summary>
public sealed class StateDirectoryTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sundown-statedir-");

    private string State => Path.Combine(_root.FullName, "state");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void A_missing_directory_is_created_0700_with_nothing_to_repair()
    {
        string? repaired = StateDirectory.Secure(State);

        Assert.Null(repaired);
        Assert.Equal(PrivateDirectory, File.GetUnixFileMode(State));
    }

    [Fact]
    public void A_directory_of_ours_that_others_may_write_is_repaired_with_a_warning()
    {
        Directory.CreateDirectory(State);
        File.SetUnixFileMode(State, PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        string? repaired = StateDirectory.Secure(State);

        Assert.Equal($"the state directory {State} was writable by group or others (mode 0773); removed their write permission (chmod go-w), continuing", repaired);
        Assert.Equal(PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, File.GetUnixFileMode(State));
    }

    [Fact]
    public void A_symlink_in_place_of_the_directory_is_refused_and_what_it_points_to_is_left_alone()
    {
        string target = Directory.CreateDirectory(Path.Combine(_root.FullName, "elsewhere")).FullName;
        Directory.CreateSymbolicLink(State, target);

        var error = Assert.Throws<JournalException>(() => StateLock.Acquire(State));

        Assert.Contains($"the state directory {State} is a symbolic link; refusing it", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(target));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_directory_owned_by_another_user_is_refused()
    {
        Requires.Root();
        Directory.CreateDirectory(State);
        await ConfigFileTests.ChownAsync(State, 65534);

        var error = Assert.Throws<JournalException>(() => Journal.Open(State));

        Assert.Contains($"the state directory {State} is owned by uid 65534", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(State));
    }

    [Fact]
    public void A_symlink_in_place_of_the_lock_file_is_refused_and_its_target_left_untouched()
    {
        Directory.CreateDirectory(State);
        string target = Path.Combine(_root.FullName, "precious");
        File.WriteAllText(target, "keep me");
        File.CreateSymbolicLink(Path.Combine(State, StateLock.FileName), target);

        var error = Assert.Throws<JournalException>(() => StateLock.Acquire(State));

        Assert.Contains("is a symbolic link; refusing to follow it", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(target));
    }

    [Fact]
    public void A_symlink_in_place_of_the_journal_is_refused_before_sqlite_opens_it()
    {
        Directory.CreateDirectory(State);
        string target = Path.Combine(_root.FullName, "not-a-journal");
        File.CreateSymbolicLink(Path.Combine(State, Journal.FileName), target);

        var error = Assert.Throws<JournalException>(() => Journal.Open(State));

        Assert.Contains($"the journal {Path.Combine(State, Journal.FileName)} is a symbolic link", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void The_lock_and_the_journal_are_0600_and_a_wider_lock_file_is_narrowed()
    {
        Directory.CreateDirectory(State);
        string lockFile = Path.Combine(State, StateLock.FileName);
        File.WriteAllText(lockFile, "");
        File.SetUnixFileMode(lockFile, Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        using (StateLock.Acquire(State))
        using (Journal.Open(State))
        {
        }

        Assert.Equal(Private, File.GetUnixFileMode(lockFile));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(State, Journal.FileName)));
    }
}
