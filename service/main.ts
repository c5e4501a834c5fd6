import { exitOnStartFailure, startOrderService } from './start.js'

// The demo order service: `npm start`. Settings come from the environment (README, "The demo order service").
startOrderService().catch(exitOnStartFailure)
