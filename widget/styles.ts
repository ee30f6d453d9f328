/** The widget's styles, scoped by its shadow root. */
export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
.root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2430; }
button { font: inherit; cursor: pointer; }
button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #7aa7ff; outline-offset: 2px; }
.launcher { width: 56px; height: 56px; border-radius: 50%; border: 0; background: #2f5bea; color: #fff; box-shadow: 0 6px 20px rgba(20,40,120,.3); display: grid; place-items: center; margin-left: auto; }
.launcher { position: relative; }
.launcher svg { width: 26px; height: 26px; }
.badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 5px; border-radius: 10px; background: #d92d20; color: #fff; font-size: 12px; font-weight: 600; line-height: 20px; text-align: center; box-shadow: 0 0 0 2px #fff; }
.badge[hidden], .preview[hidden] { display: none; }
.preview { position: absolute; right: 0; bottom: 68px; width: max-content; max-width: min(280px, calc(100vw - 40px)); text-align: left; background: #fff; color: inherit; border: 1px solid #e1e6f0; border-radius: 14px 14px 4px 14px; padding: 10px 12px; box-shadow: 0 8px 24px rgba(20,30,60,.18); }
.preview strong { display: block; font-size: 12px; color: #5a6578; }
.preview span { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.root.open .preview { display: none; }
.panel { position: absolute; right: 0; bottom: 72px; width: min(370px, calc(100vw - 40px)); height: min(560px, calc(100vh - 110px)); height: min(560px, calc(100dvh - 110px)); background: #fff; border-radius: 16px; box-shadow: 0 12px 40px rgba(20,30,60,.25); display: flex; flex-direction: column; overflow: hidden; }
.panel[hidden] { display: none; }
header { background: #2f5bea; color: #fff; padding: 14px 16px; display: flex; align-items: center; gap: 8px; }
header .titles { flex: 1; min-width: 0; }
header h2 { font-size: 16px; margin: 0; }
.identity { font-size: 12px; opacity: .9; display: flex; align-items: center; gap: 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.identity[data-verified="true"]::before { content: "✔"; font-size: 11px; }
header button { background: rgba(255,255,255,.16); border: 0; color: #fff; border-radius: 8px; padding: 5px 9px; font-size: 12px; }
header button:hover { background: rgba(255,255,255,.28); }
main { flex: 1; overflow-y: auto; padding: 14px 16px; display: flex; flex-direction: column; gap: 12px; background: #f6f8fc; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #5a6578; margin: 4px 0 0; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; }
.primary, .secondary { border-radius: 10px; padding: 8px 12px; border: 1px solid #2f5bea; }
.primary { background: #2f5bea; color: #fff; }
.secondary { background: #fff; color: #2f5bea; }
.list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.item { width: 100%; text-align: left; background: #fff; border: 1px solid #e1e6f0; border-radius: 12px; padding: 10px 12px; color: inherit; }
.item:hover { border-color: #2f5bea; }
.item .row { display: flex; align-items: baseline; gap: 6px; }
.item strong { font-size: 13px; flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.item .mark { font-size: 11px; color: #085d3a; background: #dcfae6; border-radius: 6px; padding: 0 5px; }
.item time { font-size: 11px; color: #5a6578; }
.item .last { display: block; color: #5a6578; font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.empty, .note { color: #5a6578; margin: 0; }
.empty p { margin: 0 0 6px; }
.link { align-self: flex-start; background: none; border: 0; padding: 0; color: #2f5bea; text-decoration: underline; font-size: 12px; }
form.stack { display: flex; flex-direction: column; gap: 10px; background: #fff; border: 1px solid #e1e6f0; border-radius: 12px; padding: 14px; }
label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: #3c4658; }
input, textarea { font: inherit; border: 1px solid #c9d1e0; border-radius: 8px; padding: 8px 10px; }
.messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.msg { max-width: 85%; padding: 8px 12px; border-radius: 14px; background: #fff; border: 1px solid #e1e6f0; align-self: flex-start; white-space: pre-wrap; word-wrap: break-word; }
.msg[data-author="visitor"] { align-self: flex-end; background: #2f5bea; color: #fff; border-color: #2f5bea; }
.msg .who { display: block; font-size: 11px; opacity: .75; margin-bottom: 2px; }
.greeting { margin: 0; }
.field-error { color: #b42318; font-size: 12px; margin: -4px 0 0; }
.field-error[hidden] { display: none; }
.centered .primary { margin-top: 8px; }
a { color: #2f5bea; }
.back { align-self: flex-start; background: none; border: 0; color: #2f5bea; padding: 0; }
.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e1e6f0; background: #fff; }
.composer textarea { flex: 1; resize: none; height: 40px; }
.composer button { border: 0; border-radius: 10px; background: #2f5bea; color: #fff; padding: 0 14px; }
.centered { text-align: center; margin: auto 0; color: #3c4658; }
/* Phones: the open panel is the whole screen, and its close button replaces the launcher. */
@media (max-width: 480px) {
  .panel { position: fixed; inset: 0; width: auto; height: auto; border-radius: 0; }
  .root.open .launcher { display: none; }
  /* Fingers, not pointers: targets of 44 px, and 16 px text so that a phone does not zoom into the field. */
  header button { min-width: 44px; min-height: 44px; font-size: 16px; }
  .back, .link { min-height: 44px; }
  input, textarea { font-size: 16px; }
}
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
