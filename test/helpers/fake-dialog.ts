// The native message box, faked: records what main showed and answers when told to.
import type { DialogLike, MessageBoxOptionsLike, WindowLike } from '../../main/electron-api.js';

export class FakeDialog implements DialogLike {
  readonly shown: { window: WindowLike; options: MessageBoxOptionsLike }[] = [];
  private readonly waiting: ((answer: { response: number }) => void)[] = [];
  showMessageBox(window: WindowLike, options: MessageBoxOptionsLike): Promise<{ response: number }> {
    this.shown.push({ window, options });
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  /** The operator presses button `response` on the oldest open message. */
  answer(response = 0): void {
    this.waiting.shift()?.({ response });
  }
}
