// Registers one ipcMain handler per invoke entry of the schema. Each handler refuses a
// caller that is not our window's main frame, checks its argument at run time, and answers
// only with `{type:'success', value}` or `{type:'error', message}`.
import { ipcSchema, schemaEntries, type IpcResult, type MainHandlers } from '../agent/contract/index.js';
import type { InvokeEventLike, IpcMainLike } from './electron-api.js';

export type SenderCheck = (event: InvokeEventLike) => string | undefined;

export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: MainHandlers, checkSender: SenderCheck, log: (line: string) => void = () => {}): void {
  const table = handlers as unknown as Record<string, Record<string, (arg: unknown) => unknown>>;
  for (const { group, key, channel, entry } of schemaEntries(ipcSchema)) {
    if (entry.kind !== 'invoke') continue;
    const handler = table[group]?.[key];
    if (!handler) throw new Error(`no handler for IPC entry ${group}.${key}`);
    ipcMain.handle(channel, async (event, ...args): Promise<IpcResult<unknown>> => {
      const refused = checkSender(event);
      if (refused !== undefined) {
        log(`refused ${channel}: ${refused}`);
        return { type: 'error', message: `refused: ${refused}` };
      }
      if (args.length > 1) return { type: 'error', message: `${group}.${key} takes at most one argument` };
      const checked = entry.check(args[0]);
      if (!checked.ok) return { type: 'error', message: `${group}.${key}: ${checked.problem}` };
      try {
        return { type: 'success', value: await handler(checked.value) };
      } catch (err) {
        return { type: 'error', message: err instanceof Error ? err.message : String(err) };
      }
    });
  }
}
