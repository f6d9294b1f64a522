/** What the resolver hands back: where to connect, what it is, and how to stop it if we started it. */
export type DatabaseKind = 'external' | 'mongod' | 'ferretdb';

export interface RunningDatabase {
  kind: DatabaseKind;
  uri: string;
  /** One line for the start-up banner: which database won and where its data lives. */
  description: string;
  /** Folder holding the embedded data; undefined for an external server. */
  dataPath?: string;
  /** Stops an embedded server (no-op for an external one). Safe to call twice. */
  stop(): Promise<void>;
  /** Kills an embedded server abruptly, for fault tests; restart() brings it back on the same port and data. */
  kill?(): Promise<void>;
  restart?(): Promise<void>;
  /** Freezes an embedded server (SIGSTOP) without closing its sockets, for fault tests: a hung database; resume() thaws it. */
  pause?(): void;
  resume?(): void;
}
