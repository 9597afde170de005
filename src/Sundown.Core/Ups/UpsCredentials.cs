namespace Sundown.Core.Ups;

/// <summary>A user of upsd.users: <c>user</c> and <c>password</c> of [ups].</summary>
public sealed record UpsCredentials(string User, string Password)
{
    /// <summary>Never the password: what a message or <c>plan</c> may print.</summary>
    public override string ToString() => User;

    /// <summary>A word upsd reads unquoted: what a user name must be (upsd.users' [NAME]).</summary>
    public static bool IsUserName(string text) =>
        text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@');

    /// <summary>What upsd can take as a password: printable ASCII (the protocol's lines are ASCII), not empty.</summary>
    public static bool IsPassword(string text) => text.Length > 0 && text.All(c => c is >= ' ' and <= '~');
}
