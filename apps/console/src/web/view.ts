// The shapes of the console's API as the page reads them (apps/console/src/board/console-view.ts).
// Declared again here, by type only, so the browser bundle imports nothing from the server.
export type { ConsoleView, GatewayView, JobView, NodeFigures, PartitionView, ProcessorView } from '../board/console-view';
export type { HistoryPoint } from '../board/node-history';
export type { DeadLetter } from '../dlq/dead-letters.service';
