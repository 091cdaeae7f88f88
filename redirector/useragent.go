package redirector

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/linkwatch/linkwatch"
)

// botMarkers are lower-case substrings of User-Agents that are not people:
// crawlers, link-preview fetchers, HTTP libraries and monitors.
var botMarkers = []string{
	"bot", "crawl", "spider", "slurp", "preview", "monitor", "headless",
	"curl/", "wget/", "python-", "python/", "go-http-client", "java/", "httpclient",
	"axios/", "node-fetch", "undici", "scrapy", "lighthouse", "facebookexternalhit",
	"whatsapp/", "okhttp/", "libwww", "httpie",
}

// proberMarker is linkwatch.ProberUserAgentMarker as classify compares it.
var proberMarker = strings.ToLower(linkwatch.ProberUserAgentMarker)

// uaClass is what a User-Agent says about who sent a request.
type uaClass struct {
	device string
	bot    bool
	// prober marks Linkwatch's own probers: not visitors, never scans.
	prober bool
}

// classify returns the class of a User-Agent. An empty User-Agent is a bot:
// every phone and browser sends one.
func classify(ua string) uaClass {
	if ua == "" {
		return uaClass{device: linkwatch.DeviceBot, bot: true}
	}
	s := strings.ToLower(ua)
	if strings.Contains(s, proberMarker) {
		return uaClass{device: linkwatch.DeviceBot, bot: true, prober: true}
	}
	for _, m := range botMarkers {
		if strings.Contains(s, m) {
			return uaClass{device: linkwatch.DeviceBot, bot: true}
		}
	}
	switch {
	case strings.Contains(s, "ipad") || strings.Contains(s, "tablet") || strings.Contains(s, "kindle") ||
		strings.Contains(s, "silk/") || strings.Contains(s, "android") && !strings.Contains(s, "mobile"):
		return uaClass{device: linkwatch.DeviceTablet}
	case strings.Contains(s, "mobi") || strings.Contains(s, "iphone") || strings.Contains(s, "ipod") ||
		strings.Contains(s, "android") || strings.Contains(s, "windows phone") || strings.Contains(s, "blackberry"):
		return uaClass{device: linkwatch.DeviceMobile}
	case strings.Contains(s, "windows nt") || strings.Contains(s, "macintosh") || strings.Contains(s, "x11") ||
		strings.Contains(s, "cros") || strings.Contains(s, "linux"):
		return uaClass{device: linkwatch.DeviceDesktop}
	}
	return uaClass{device: linkwatch.DeviceOther}
}

// uaCache remembers the class of recently seen User-Agents. Phones send a
// few thousand distinct strings, and classifying one costs more than the rest
// of a redirect; the cache is direct-mapped and lock-free, so a flood of
// random User-Agents costs a miss each and evicts, never grows.
type uaCache struct {
	seed  maphash.Seed
	slots [4096]atomic.Pointer[uaSlot]
}

type uaSlot struct {
	ua string
	uaClass
}

func newUACache() *uaCache { return &uaCache{seed: maphash.MakeSeed()} }

func (c *uaCache) classify(ua string) uaClass {
	if len(ua) > 512 {
		return classify(ua) // not worth a slot
	}
	slot := &c.slots[maphash.String(c.seed, ua)&uint64(len(c.slots)-1)]
	if e := slot.Load(); e != nil && e.ua == ua {
		return e.uaClass
	}
	cl := classify(ua)
	slot.Store(&uaSlot{ua: strings.Clone(ua), uaClass: cl})
	return cl
}
