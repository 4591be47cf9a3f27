// The part of Electron the main process uses, as narrow interfaces. main.ts hands in the
// real `electron` module (and the compiler checks that it fits); unit tests hand in fakes
// and run in plain Node, without the Electron binary.
import type { BrowserWindowConstructorOptions, CustomScheme, HandlerDetails, WindowOpenHandlerResponse } from 'electron';

export interface PreventableEvent {
  preventDefault(): void;
}

export interface FrameLike {
  readonly url: string;
  readonly parent: FrameLike | null;
}

export interface WebContentsLike {
  readonly id: number;
  readonly mainFrame: FrameLike;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  reload(): void;
  closeDevTools(): void;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
  on(event: 'will-navigate', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'devtools-opened', listener: () => void): unknown;
  on(event: 'render-process-gone', listener: (event: unknown, details: { reason: string; exitCode: number }) => void): unknown;
}

export interface WindowLike {
  readonly webContents: WebContentsLike;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  removeMenu(): void;
  on(event: 'close', listener: (event: PreventableEvent) => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  on(event: 'minimize', listener: () => void): unknown;
  on(event: 'blur', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
}

export interface AppLike {
  readonly isPackaged: boolean;
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<unknown>;
  quit(): void;
  exit(code: number): void;
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: () => void): unknown;
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsLike) => void): unknown;
}

/** What an IPC handler learns about the caller. */
export interface InvokeEventLike {
  readonly sender: WebContentsLike;
  readonly senderFrame: FrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
}

export interface SessionLike {
  setPermissionRequestHandler(
    handler: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((contents: unknown, permission: string, requestingOrigin: string) => boolean) | null): void;
}

export interface ProtocolLike {
  registerSchemesAsPrivileged(schemes: CustomScheme[]): void;
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
}

export interface MessageBoxOptionsLike {
  type: 'error' | 'info' | 'warning' | 'none' | 'question';
  title: string;
  message: string;
  detail: string;
  buttons: string[];
  noLink: boolean;
}

export interface DialogLike {
  showMessageBox(window: WindowLike, options: MessageBoxOptionsLike): Promise<{ response: number }>;
}

export interface ElectronApi {
  dialog: DialogLike;
  app: AppLike;
  ipcMain: IpcMainLike;
  protocol: ProtocolLike;
  shell: { openExternal(url: string): Promise<void> };
  Menu: { setApplicationMenu(menu: null): void };
  /** Only valid once the app is ready. */
  defaultSession(): SessionLike;
  createWindow(options: BrowserWindowConstructorOptions): WindowLike;
}
