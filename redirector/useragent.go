package redirector

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/linkwatch/linkwatch"
)

// botMarkers are lower-case substrings of User-Agents that are not people:
// crawlers, link-preview fetchers, HTTP libraries and monitors (ours included).
var botMarkers = []string{
	"bot", "crawl", "spider", "slurp", "preview", "monitor", "headless",
	"curl/", "wget/", "python-", "python/", "go-http-client", "java/", "httpclient",
	"axios/", "node-fetch", "undici", "scrapy", "lighthouse", "facebookexternalhit",
	"whatsapp/", "linkwatch-prober", "okhttp/", "libwww", "httpie",
}

// classify returns the device class of a User-Agent and whether it is a bot.
// An empty User-Agent is a bot: every phone and browser sends one.
func classify(ua string) (device string, bot bool) {
	if ua == "" {
		return linkwatch.DeviceBot, true
	}
	s := strings.ToLower(ua)
	for _, m := range botMarkers {
		if strings.Contains(s, m) {
			return linkwatch.DeviceBot, true
		}
	}
	switch {
	case strings.Contains(s, "ipad") || strings.Contains(s, "tablet") || strings.Contains(s, "kindle") ||
		strings.Contains(s, "silk/") || strings.Contains(s, "android") && !strings.Contains(s, "mobile"):
		return linkwatch.DeviceTablet, false
	case strings.Contains(s, "mobi") || strings.Contains(s, "iphone") || strings.Contains(s, "ipod") ||
		strings.Contains(s, "android") || strings.Contains(s, "windows phone") || strings.Contains(s, "blackberry"):
		return linkwatch.DeviceMobile, false
	case strings.Contains(s, "windows nt") || strings.Contains(s, "macintosh") || strings.Contains(s, "x11") ||
		strings.Contains(s, "cros") || strings.Contains(s, "linux"):
		return linkwatch.DeviceDesktop, false
	}
	return linkwatch.DeviceOther, false
}

// uaCache remembers the class of recently seen User-Agents. Phones send a
// few thousand distinct strings, and classifying one costs more than the rest
// of a redirect; the cache is direct-mapped and lock-free, so a flood of
// random User-Agents costs a miss each and evicts, never grows.
type uaCache struct {
	seed  maphash.Seed
	slots [4096]atomic.Pointer[uaClass]
}

type uaClass struct {
	ua     string
	device string
	bot    bool
}

func newUACache() *uaCache { return &uaCache{seed: maphash.MakeSeed()} }

func (c *uaCache) classify(ua string) (device string, bot bool) {
	if len(ua) > 512 {
		return classify(ua) // not worth a slot
	}
	slot := &c.slots[maphash.String(c.seed, ua)&uint64(len(c.slots)-1)]
	if e := slot.Load(); e != nil && e.ua == ua {
		return e.device, e.bot
	}
	device, bot = classify(ua)
	slot.Store(&uaClass{ua: strings.Clone(ua), device: device, bot: bot})
	return device, bot
}
