using Sundown.Engine.Journaling;

namespace Sundown.Engine.Tests.Journaling;

public sealed class JournalWordsTests
{
    [Fact]
    public void Outcomes_and_results_use_the_json_contracts_words()
    {
        Assert.Equal(
            ["shutdown", "saved", "destroyed", "already-off", "started", "restored", "skipped", "failed"],
            Enum.GetValues<GuestOutcome>().Select(outcome => outcome.ToWord()));
        Assert.Equal(["ok", "timeout", "error", "skipped"], Enum.GetValues<StepResult>().Select(result => result.ToWord()));
        Assert.Equal(["stop", "start"], Enum.GetValues<RunKind>().Select(kind => kind.ToWord()));
    }

    [Fact]
    public void Every_word_reads_back_and_an_unknown_word_is_none()
    {
        Assert.All(Enum.GetValues<GuestOutcome>(), outcome => Assert.Equal(outcome, JournalWords.GuestOutcomeFromWord(outcome.ToWord())));
        Assert.All(Enum.GetValues<StepResult>(), result => Assert.Equal(result, JournalWords.StepResultFromWord(result.ToWord())));
        Assert.All(Enum.GetValues<RunKind>(), kind => Assert.Equal(kind, JournalWords.RunKindFromWord(kind.ToWord())));
        Assert.Null(JournalWords.GuestOutcomeFromWord("AlreadyOff"));
        Assert.Null(JournalWords.StepResultFromWord("OK"));
        Assert.Null(JournalWords.RunKindFromWord(""));
    }
}
