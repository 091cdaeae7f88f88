package redirector

import (
	"strings"

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
