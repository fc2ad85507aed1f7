// The full command line for Debian's headless Chromium under playwright-core
// (`ignoreDefaultArgs: true`, so nothing is added behind our back): Chromium keeps only
// the last --disable-features, so there is exactly one, mDNS candidates are off, and no host
// but loopback and `resolvable` resolves. Shared by the e2e tests and bench/browser.
export function chromiumArgs({ userDataDir, resolvable = [], spki = null }) {
  const exclude = ['localhost', '127.0.0.1', ...resolvable]
    .filter((h, i, all) => h && all.indexOf(h) === i);
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-breakpad',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--disable-dev-shm-usage',
    '--metrics-recording-only',
    '--password-store=basic',
    '--use-mock-keychain',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--mute-audio',
    '--disable-background-timer-throttling',
    '--disable-backgrounding-occluded-windows',
    '--disable-renderer-backgrounding',
    '--disable-features=' + [
      'WebRtcHideLocalIpsWithMdns',
      'Translate',
      'MediaRouter',
      'DialMediaRouteProvider',
      'OptimizationHints',
      'CertificateTransparencyComponentUpdater',
      'AutofillServerCommunication',
      'HttpsUpgrades',
      'DestroyProfileOnBrowserClose',
      'GlobalMediaControls',
      'LensOverlay',
    ].join(','),
    '--remote-debugging-pipe',
    `--user-data-dir=${userDataDir}`,
    `--host-resolver-rules=MAP * ~NOTFOUND, ${exclude.map((h) => `EXCLUDE ${h}`).join(', ')}`,
  ];
  if (spki) args.push(`--ignore-certificate-errors-spki-list=${spki}`);
  args.push('about:blank');
  return args;
}
