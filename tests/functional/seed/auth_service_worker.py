# The founding document's worker as written there (indentation restored from the page),
# with only its import line changed: `import workflow_client` -> `from steplane import ...`.

# auth_service_worker.py

from steplane import workflow_client # Hypothetical client for interacting with the workflow engine

def create_user_task(task_context):
    user_data = task_context.get('input_data')
    try:
        # Simulate API call to Auth Service
        print(f"Creating user: {user_data['email']}")
        # auth_api.create_user(user_data)
        if user_data.get('simulate_error'): # For testing error paths
            raise Exception("AuthServiceError: User creation failed")

        user_id = "user_123"
        workflow_client.complete_task(task_context['task_id'], {"userId": user_id})
    except Exception as e:
        workflow_client.fail_task(task_context['task_id'], str(e), "AuthServiceError")

# Worker continuously polls for 'createUser' tasks

workflow_client.register_task_handler('createUser', create_user_task)

workflow_client.start_polling()
