using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Wharf.Browser.Tests;

/// <summary>
/// What every page must hold, checked in the browser on the page as it is shown. Each check returns the problems
/// it found as lines a person can act on (empty: the page passes), so that the walk can report them all at once.
/// </summary>
public static class PageChecks
{
    /// <summary>The axe-core impacts that fail a page; "minor" and "moderate" findings are not counted.</summary>
    public static readonly IReadOnlySet<string> FailingImpacts = new HashSet<string>(StringComparer.Ordinal) { "serious", "critical" };

    /// <summary>Runs axe-core (Deque.AxeCore.Playwright, which carries axe-core itself) and lists each serious or critical violation.</summary>
    public static async Task<IReadOnlyList<string>> AxeAsync(IPage page)
    {
        var result = await page.RunAxe();
        return result.Violations
            .Where(v => v.Impact is { } impact && FailingImpacts.Contains(impact))
            .Select(v => $"axe {v.Id} ({v.Impact}): {v.Help}; at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString() ?? n.Html))}")
            .ToList();
    }

    /// <summary>
    /// No horizontal scroll: the document is no wider than the window it was opened in
    /// (<c>document.documentElement.scrollWidth</c> against the viewport's width). A phone's window.innerWidth alone
    /// would not do: a page wider than the phone (or one without a viewport meta tag, laid out 980 px wide) is
    /// zoomed out until it fits, and innerWidth grows with it.
    /// </summary>
    public static async Task<IReadOnlyList<string>> NoHorizontalScrollAsync(IPage page)
    {
        var viewport = page.ViewportSize?.Width ?? throw new InvalidOperationException("the page has no fixed viewport");
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
        var (scroll, inner) = (widths[0], widths[1]);
        if (scroll <= viewport && inner <= viewport) return [];
        var widest = await page.EvaluateAsync<string[]>(WidestScript, viewport);
        return [$"horizontal scroll: document.documentElement.scrollWidth is {scroll} px (window.innerWidth {inner} px) in a {viewport} px window"
            + (widest.Length > 0 ? "; reaching past the right edge: " + string.Join(", ", widest) : "")];
    }

    // The deepest elements whose right edge passes the window: where to look first.
    private const string WidestScript = """
        w => {
          const out = [];
          for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect();
            if (r.right <= w + 0.5 || r.width === 0) continue;
            if ([...e.children].some(c => c.getBoundingClientRect().right > w + 0.5)) continue;
            out.push(describe(e) + ' (right edge ' + Math.round(r.right) + ' px)');
            if (out.length === 5) break;
          }
          return out;
          function describe(e) {
            return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.classList.length ? '.' + [...e.classList].join('.') : '');
          }
        }
        """;

    /// <summary>
    /// Tap targets (a, button, input, summary) at least 24 x 24 CSS px (WCAG 2.2 target size, minimum). Not counted:
    /// what is not rendered (hidden inputs, closed details, zero-sized), the skip link while it waits off screen, and
    /// links inside a sentence (WCAG's inline exception: their height is the line's). A checkbox or radio counts its
    /// label's box, which takes the tap as well.
    /// </summary>
    public static async Task<IReadOnlyList<string>> TapTargetsAsync(IPage page)
    {
        var small = await page.EvaluateAsync<string[]>("""
            () => {
              const out = [];
              for (const e of document.querySelectorAll('a[href], button, input:not([type=hidden]), summary')) {
                const s = getComputedStyle(e);
                if (s.visibility === 'hidden' || s.display === 'none') continue;
                let r = e.getBoundingClientRect();
                if (r.width === 0 && r.height === 0) continue;
                if (e.classList.contains('skip-link') && r.bottom <= 0) continue;
                if (e.tagName === 'A' && inSentence(e)) continue;
                if (e.tagName === 'INPUT' && (e.type === 'checkbox' || e.type === 'radio') && e.labels && e.labels.length) {
                  const l = e.labels[0].getBoundingClientRect();
                  r = { width: Math.max(r.width, l.width), height: Math.max(r.height, l.height) };
                }
                if (r.width + 0.01 >= 24 && r.height + 0.01 >= 24) continue;
                const name = (e.getAttribute('aria-label') || e.textContent || e.value || e.name || '').trim().replace(/\s+/g, ' ').slice(0, 40);
                out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (name ? ' "' + name + '"' : '')
                  + ' ' + Math.round(r.width * 10) / 10 + 'x' + Math.round(r.height * 10) / 10);
              }
              return out;
              function inSentence(a) {
                if (getComputedStyle(a).display !== 'inline') return false;
                const p = a.parentElement;
                return [...p.childNodes].some(n => n !== a && n.nodeType === Node.TEXT_NODE && /[A-Za-z0-9]/.test(n.textContent));
              }
            }
            """);
        return small.Select(s => $"tap target under 24x24 CSS px: {s}").ToList();
    }

    /// <summary>Exactly one h1.</summary>
    public static async Task<IReadOnlyList<string>> OneHeadingAsync(IPage page)
    {
        var headings = await page.Locator("h1").AllTextContentsAsync();
        return headings.Count == 1 ? [] : [$"expected exactly one h1, found {headings.Count}: [{string.Join(" | ", headings.Select(h => h.Trim()))}]"];
    }

    /// <summary>The first Tab reaches a skip link, and following it puts the keyboard focus on main.</summary>
    public static async Task<IReadOnlyList<string>> SkipLinkAsync(IPage page)
    {
        await page.EvaluateAsync("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }");
        // Start the Tab order from the top of the document, as after a fresh load.
        await page.EvaluateAsync("() => { const b = document.body; b.setAttribute('tabindex', '-1'); b.focus(); b.removeAttribute('tabindex'); }");
        await page.Keyboard.PressAsync("Tab");
        var first = await page.EvaluateAsync<string[]>(
            "() => { const e = document.activeElement; return [e ? e.tagName.toLowerCase() : '', e?.getAttribute('href') ?? '', (e?.textContent ?? '').trim()]; }");
        if (first[0] != "a" || !first[1].StartsWith('#'))
            return [$"skip link: the first Tab reaches <{first[0]} href=\"{first[1]}\"> \"{first[2]}\", not a link to #main"];
        await page.Keyboard.PressAsync("Enter");
        var onMain = await page.EvaluateAsync<bool>(
            "() => { const m = document.querySelector('main'); return !!m && (document.activeElement === m || m.contains(document.activeElement)); }");
        if (onMain) return [];
        var now = await page.EvaluateAsync<string>("() => { const e = document.activeElement; return e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') : 'nothing'; }");
        return [$"skip link \"{first[2]}\" (href {first[1]}): after Enter the focus is on {now}, not on main"];
    }
}
