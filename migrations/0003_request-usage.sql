ALTER TABLE "model_calls" ADD COLUMN "request_id" integer;--> statement-breakpoint
CREATE INDEX "model_calls_request" ON "model_calls" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "model_calls_repository_at" ON "model_calls" USING btree ("repository_id","at");