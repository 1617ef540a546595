package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/llmgate/llmgate/internal/testenv"
)

// Browser is one headless Chromium (Debian's package) driven over the DevTools protocol, with
// its own profile and cookie jar: a test uses one per person.
type Browser struct {
	t     testing.TB
	ctx   context.Context
	shots string
}

// NewBrowser starts a browser that is closed when t ends. JavaScript confirmations are
// accepted, as a user clicking OK would.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(testenv.Chromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	shots := os.Getenv("LLMGATE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	b := &Browser{t: t, ctx: ctx, shots: shots}
	// The first action starts the browser and must run on ctx itself: a browser started under a
	// shorter-lived context would end with it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting %s: %v", testenv.Chromium(t), err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

func (b *Browser) timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 30*time.Second)
}

// Do performs steps, failing t on an error or after 30 s.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\n%s", err, b.page())
	}
}

// page describes where the browser is, for a failure message.
func (b *Browser) page() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText.slice(0, 2000) : ''"))
	return "at " + u + ":\n" + text
}

// Get runs one action that returns a value, failing t on an error or after 30 s.
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v\n%s", err, b.page())
	}
	return v
}

// Text is the text content of the first element matching the CSS selector, once visible.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	return Get(b, chromedp.TextContent(chromedp.CSS(sel)))
}

// Eval evaluates a JavaScript expression.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	return Get(b, chromedp.Evaluate[T](expr))
}

// Location is the current page's URL.
func (b *Browser) Location() string { return Get(b, chromedp.Location()) }

// Open navigates to url and waits until the CSS selector sel is visible.
func (b *Browser) Open(url, sel string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// Shot saves a full-page screenshot as name.png (in $LLMGATE_SCREENSHOTS when set).
func (b *Browser) Shot(name string) string {
	b.t.Helper()
	png := Get(b, chromedp.FullScreenshot(100))
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// SignIn fills the console's sign-in form at base and waits for a signed-in page.
func (b *Browser) SignIn(base, user, key string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(base+"/console/signin"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("apikey"), key),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("who")))
}

// Wait polls the JavaScript expression until it is true (failing t after 30 s): the page's
// own state is the synchronisation, never a sleep.
// A navigation interrupts a poll (the page it ran in is gone), so it polls again in the new
// page until the deadline.
func (b *Browser) Wait(expr string) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr))
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			b.t.Fatalf("browser: waiting for %s: %v", expr, err)
		}
	}
}
