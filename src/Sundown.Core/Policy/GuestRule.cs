using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Sundown.Core.Model;

namespace Sundown.Core.Policy;

/// <summary>
/// A <c>[[guest]]</c> rule: which guests it matches (all of the given conditions) and the
/// policy parts it sets for them.
/// </summary>
/// <param name="NameGlob">A shell-style glob on the guest's name (<c>*</c>, <c>?</c>, <c>[abc]</c>).</param>
public sealed record GuestRule(string? NameGlob, string? Uuid, OsFamily? Os, PolicyOverrides Overrides)
{
    // Every rule is matched against every guest: a glob compiled per match cost a Regex
    // construction per guest and rule. Kept per glob text (a config has a handful), outside
    // the record so that two equal rules stay equal.
    private static readonly ConcurrentDictionary<string, Regex> s_globs = new(StringComparer.Ordinal);

    public bool Matches(Guest guest) =>
        (NameGlob is null || s_globs.GetOrAdd(NameGlob, GlobToRegex).IsMatch(guest.Name))
        && (Uuid is null || string.Equals(Uuid, guest.Uuid, StringComparison.OrdinalIgnoreCase))
        && (Os is null || Os == OsFamilies.Of(guest.Os));

    private static Regex GlobToRegex(string glob)
    {
        var pattern = new System.Text.StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*':
                    pattern.Append(".*");
                    break;
                case '?':
                    pattern.Append('.');
                    break;
                case '[':
                    int close = glob.IndexOf(']', i + 1);
                    if (close > i + 1)
                    {
                        string set = glob[(i + 1)..close];
                        pattern.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                        i = close;
                    }
                    else
                    {
                        pattern.Append(@"\[");
                    }

                    break;
                default:
                    pattern.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
